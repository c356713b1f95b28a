// Client side of the sandbox: find, start (once, race-safe), stop, reset and administer it.
// Loaded by every --sandbox CLI run, so it imports only node: builtins and constants.ts.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, fchmodSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SANDBOX_DEFAULT_REGION, sandboxDir } from './constants.js';
import { loadOrCreateSecrets, readSecrets, securePrivateDir, type SandboxSecrets } from './private.js';

export interface SandboxInfo {
  url: string;
  port: number;
  pid: number;
  dir: string;
  region: string;
  /** This sandbox's own keys (secrets.json in its folder): SigV4 accepts no others. */
  accessKeyId: string;
  secretAccessKey: string;
  /** Bearer token for the admin API; never printed. */
  adminToken: string;
}

export interface SandboxStatus { running: boolean; dir: string; info?: SandboxInfo; state?: unknown }

interface ServerFile { pid: number; url: string; port: number; startedAt: string }

const START_TIMEOUT_MS = 10_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; }
}

function readServerFile(dir: string): ServerFile | undefined {
  try {
    const v = JSON.parse(readFileSync(join(dir, 'server.json'), 'utf8')) as ServerFile;
    return typeof v.pid === 'number' && typeof v.url === 'string' ? v : undefined;
  } catch { return undefined; }
}

function toInfo(f: ServerFile, dir: string, env: NodeJS.ProcessEnv, secrets: SandboxSecrets): SandboxInfo {
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION || SANDBOX_DEFAULT_REGION;
  return { url: f.url, port: f.port, pid: f.pid, dir, region, ...secrets };
}

/** One JSON request to the admin API (loopback, bearer token). */
function http(url: string, token: string, method: string, path: string, body?: unknown, timeoutMs = 5000): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers: Record<string, string> = { Authorization: `Bearer ${token}` };
    if (data) Object.assign(headers, { 'Content-Type': 'application/json', 'Content-Length': String(data.length) });
    const req = request(url + path, { method, timeout: timeoutMs, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown = text;
        try { json = JSON.parse(text); } catch { /* not JSON */ }
        resolve({ status: res.statusCode ?? 0, json });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url} within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(data);
  });
}

/** The running server for dir, if server.json names one that answers its health check. */
async function probe(dir: string, env: NodeJS.ProcessEnv): Promise<SandboxInfo | undefined> {
  const f = readServerFile(dir);
  if (!f || !alive(f.pid)) return undefined;
  try {
    const secrets = readSecrets(dir);
    if (!secrets) return undefined;
    const r = await http(f.url, secrets.adminToken, 'GET', '/_sandbox/health', undefined, 2000);
    const h = r.json as { ok?: boolean; pid?: number };
    return r.status === 200 && h.ok && h.pid === f.pid ? toInfo(f, dir, env, secrets) : undefined;
  } catch { return undefined; }
}

/** Exclusive start lock (open 'wx'); a lock whose owner is dead is broken. */
function tryLock(lock: string): boolean {
  try {
    const fd = openSync(lock, 'wx', 0o600);
    writeSync(fd, String(process.pid));
    closeSync(fd);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  try {
    const pid = Number(readFileSync(lock, 'utf8'));
    const age = Date.now() - statSync(lock).mtimeMs;
    // An empty lock is a writer between open and write; only old empty locks are stale.
    if ((pid > 0 && !alive(pid)) || (!pid && age > 5000)) unlinkSync(lock);
  } catch { /* vanished meanwhile: retry */ }
  return false;
}

function logTail(dir: string): string {
  try {
    const lines = readFileSync(join(dir, 'sandbox.log'), 'utf8').trim().split('\n');
    return lines.filter((l) => l.startsWith('ec2term sandbox:')).pop() ?? lines.pop() ?? '';
  } catch { return ''; }
}

/**
 * Returns the sandbox for env's state dir, starting it in the background on first use.
 * Safe against concurrent callers: they all end up with the same single server.
 */
export async function ensureSandbox(env: NodeJS.ProcessEnv = process.env): Promise<SandboxInfo> {
  const dir = sandboxDir(env);
  // Checked before anything in it is read or trusted (server.json names the process we talk to).
  securePrivateDir(dir);
  const found = await probe(dir, env);
  if (found) return found;
  loadOrCreateSecrets(dir);
  const lock = join(dir, 'start.lock');
  const deadline = Date.now() + START_TIMEOUT_MS + 5000;
  while (!tryLock(lock)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for another process to start the sandbox (lock ${lock})`);
    await sleep(50);
    const other = await probe(dir, env);
    if (other) return other;
  }
  try {
    const again = await probe(dir, env);
    if (again) return again;
    return await startServer(dir, env);
  } finally {
    try { unlinkSync(lock); } catch { /* already gone */ }
  }
}

/** What the sandbox server may see of the starting shell: where programs are, home, locale, its own settings. */
// XDG_CACHE_HOME and EC2TERM_GRAPHTERM_RUNTIME locate the GraphTerm runtime instances boot with (graphterm/runtime.ts).
const SERVER_ENV = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'LC_CTYPE', 'TZ', 'TMPDIR', 'XDG_CACHE_HOME', 'EC2TERM_GRAPHTERM_RUNTIME'];
const SERVER_ENV_PREFIX = 'EC2TERM_SANDBOX_';

/** The background server outlives the shell: it gets none of its secrets (AWS_*, tokens, agent sockets). */
export function serverEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(env)) {
    if (v !== undefined && (SERVER_ENV.includes(k) || k.startsWith(SERVER_ENV_PREFIX))) out[k] = v;
  }
  return out;
}

async function startServer(dir: string, env: NodeJS.ProcessEnv): Promise<SandboxInfo> {
  const main = fileURLToPath(new URL('./main.js', import.meta.url));
  if (!existsSync(main)) throw new Error(`sandbox server not built: ${main} is missing (run npm run build)`);
  const logFd = openSync(join(dir, 'sandbox.log'), 'a', 0o600);
  fchmodSync(logFd, 0o600);
  const child = spawn(process.execPath, [main], {
    detached: true, stdio: ['ignore', logFd, logFd], cwd: dir,
    env: { ...serverEnv(env), EC2TERM_SANDBOX_DIR: dir },
  });
  closeSync(logFd);
  let exited: number | null | undefined;
  child.on('exit', (code) => { exited = code; });
  child.unref();
  const pid = child.pid;
  if (!pid) throw new Error('could not start the sandbox server process');
  const until = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < until) {
    if (exited !== undefined) {
      const why = logTail(dir);
      throw new Error(`the sandbox server exited at start (code ${exited})${why ? `: ${why.replace(/^ec2term sandbox: /, '')}` : ''}; see ${join(dir, 'sandbox.log')}`);
    }
    const f = readServerFile(dir);
    if (f?.pid === pid) {
      const info = await probe(dir, env);
      if (info) return info;
    }
    await sleep(25);
  }
  try { process.kill(pid, 'SIGTERM'); } catch { /* gone */ }
  throw new Error(`the sandbox server did not become ready within ${START_TIMEOUT_MS / 1000} s; see ${join(dir, 'sandbox.log')}`);
}

/** Whether a sandbox runs for env's state dir, with its state summary when it does. */
export async function sandboxStatus(env: NodeJS.ProcessEnv = process.env): Promise<SandboxStatus> {
  const dir = sandboxDir(env);
  securePrivateDir(dir, false);
  const info = await probe(dir, env);
  if (!info) return { running: false, dir };
  const state = await adminRequest(info, 'GET', '/_sandbox/state').catch(() => undefined);
  return { running: true, dir, info, state };
}

/** SIGTERMs the server and waits until it is gone; false when none was running. */
export async function stopSandbox(env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  const dir = sandboxDir(env);
  securePrivateDir(dir, false); // server.json names the process we signal
  const f = readServerFile(dir);
  if (!f || !alive(f.pid)) {
    if (f) try { unlinkSync(join(dir, 'server.json')); } catch { /* gone */ }
    return false;
  }
  process.kill(f.pid, 'SIGTERM');
  const until = Date.now() + 10_000;
  while (alive(f.pid)) {
    if (Date.now() > until) { try { process.kill(f.pid, 'SIGKILL'); } catch { /* gone */ } await sleep(100); break; }
    await sleep(25);
  }
  const cur = readServerFile(dir);
  if (cur?.pid === f.pid) try { unlinkSync(join(dir, 'server.json')); } catch { /* gone */ }
  return true;
}

/** Empties all sandbox state (instances, keys, groups, volumes, zones...) and stops every SSH endpoint. */
export async function resetSandbox(env: NodeJS.ProcessEnv = process.env): Promise<SandboxInfo> {
  const info = await ensureSandbox(env);
  await adminRequest(info, 'POST', '/_sandbox/reset');
  return info;
}

export type AdminTarget = Pick<SandboxInfo, 'url' | 'adminToken'>;

/** One admin API call; throws an Error carrying the server's one-line message on failure. */
export async function adminRequest(info: AdminTarget, method: string, path: string, body?: unknown): Promise<unknown> {
  const p = path.startsWith('/_sandbox/') ? path : `/_sandbox/${path.replace(/^\//, '')}`;
  const r = await http(info.url, info.adminToken, method, p, body);
  if (r.status < 200 || r.status >= 300) {
    const msg = (r.json as { error?: string })?.error ?? String(r.json);
    throw new Error(`sandbox ${method} ${p}: ${msg}`);
  }
  return r.json;
}

export type DelaySpec = 'realistic' | 'fast' | 'zero' | Record<string, number>;
export const setDelays = (info: AdminTarget, delays: DelaySpec) => adminRequest(info, 'POST', '/_sandbox/config', { delays });
export const setFaults = (info: AdminTarget, rules: unknown[] | { rules: unknown[] }) =>
  adminRequest(info, 'POST', '/_sandbox/faults', Array.isArray(rules) ? { rules } : rules);
export const clearFaults = (info: AdminTarget) => adminRequest(info, 'DELETE', '/_sandbox/faults');

export interface RequestLogEntry { time: string; service: string; action: string; region: string; status: number; errorCode?: string }
export async function getRequestLog(info: AdminTarget): Promise<RequestLogEntry[]> {
  return ((await adminRequest(info, 'GET', '/_sandbox/requests')) as { requests: RequestLogEntry[] }).requests;
}
export const clearRequestLog = (info: AdminTarget) => adminRequest(info, 'DELETE', '/_sandbox/requests');
