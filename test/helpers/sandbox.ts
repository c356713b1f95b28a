// Test fixture: a private sandbox server per call (own temp state dir and HOME), fast delays by default.
import { runtimeDir } from '../../src/sandbox/graphterm/runtime.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adminRequest, ensureSandbox, stopSandbox, type SandboxInfo } from '../../src/sandbox/client.js';

export interface TestSandboxOptions {
  delays?: 'fast' | 'zero' | 'realistic' | Record<string, number>;
  faults?: unknown[] | { rules: unknown[] };
  /** 'real' boots the real GraphTerm on instances (needs the runtime: test/helpers/graphterm.ts). */
  graphterm?: 'real' | 'simulate';
  /** Spot instances the sandbox can run (EC2TERM_SANDBOX_SPOT_CAPACITY); 0: no spot capacity. */
  spotCapacity?: number;
}

export interface TestSandbox {
  dir: string;
  url: string;
  info: SandboxInfo;
  /** What a spawned CLI needs to use this sandbox. */
  env: Record<string, string>;
  stop(): Promise<void>;
  admin(method: string, path: string, body?: unknown): Promise<any>;
}

const byUrl = new Map<string, { accessKeyId: string; secretAccessKey: string }>();

/** The keys of the test sandbox at `url` (each sandbox makes its own; see src/sandbox/private.ts). */
export function credentialsFor(url: string): { accessKeyId: string; secretAccessKey: string } {
  const c = byUrl.get(url);
  if (!c) throw new Error(`no test sandbox started at ${url}`);
  return c;
}

export async function startTestSandbox(opts: TestSandboxOptions = {}): Promise<TestSandbox> {
  const root = await mkdtemp(join(tmpdir(), 'ec2term-sbx-'));
  const dir = join(root, 'state');
  const home = join(root, 'home');
  const env: Record<string, string> = {
    EC2TERM_SANDBOX_DIR: dir,
    EC2TERM_SANDBOX: '1',
    AWS_EC2_METADATA_DISABLED: 'true',
    HOME: home,
  };
  const delays = opts.delays ?? 'fast';
  const serverEnv: NodeJS.ProcessEnv = {
    ...process.env, ...env,
    EC2TERM_SANDBOX_DELAYS: typeof delays === 'string' ? delays : JSON.stringify(delays),
    // Most tests need setup to end fast; the GraphTerm tests ask for the real server.
    EC2TERM_SANDBOX_GRAPHTERM: opts.graphterm ?? 'simulate',
    // The tests' HOME is a temporary folder: the runtime is the one in the real user's cache.
    EC2TERM_GRAPHTERM_RUNTIME: process.env.EC2TERM_GRAPHTERM_RUNTIME ?? runtimeDir(process.env),
    EC2TERM_SANDBOX_SPOT_CAPACITY: opts.spotCapacity === undefined ? '' : String(opts.spotCapacity),
    EC2TERM_SANDBOX_FAULTS: opts.faults ? JSON.stringify(Array.isArray(opts.faults) ? { rules: opts.faults } : opts.faults) : '',
  };
  const info = await ensureSandbox(serverEnv);
  byUrl.set(info.url, { accessKeyId: info.accessKeyId, secretAccessKey: info.secretAccessKey });
  let stopped = false;
  return {
    dir, url: info.url, info, env,
    admin: (method, path, body) => adminRequest(info, method, path, body) as Promise<any>,
    async stop() {
      if (stopped) return;
      stopped = true;
      await stopSandbox(serverEnv);
      byUrl.delete(info.url);
      await rm(root, { recursive: true, force: true });
    },
  };
}
