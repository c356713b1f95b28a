// Sandbox server process: `node dist/src/sandbox/main.js`. Usually started (detached) by client.ts.
import { readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sandboxDir } from './constants.js';
import { DELAY_PRESETS, parseDelays } from './delays.js';
import { parseFaults } from './faults.js';
import { parseSpotCapacity } from './autoscaling/controller.js';
import { createSandboxServer } from './http.js';
import { loadOrCreateSecrets, securePrivateDir, type SandboxSecrets } from './private.js';
import { loadWorld } from './state.js';
import { Sandbox } from './world.js';

function fatal(msg: string): never {
  process.stderr.write(`ec2term sandbox: ${msg}\n`);
  process.exit(2);
}

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; }
}

async function main(): Promise<void> {
  const dir = sandboxDir();
  let secrets: SandboxSecrets;
  try {
    securePrivateDir(dir);
    secrets = loadOrCreateSecrets(dir);
  } catch (e) { fatal((e as Error).message); }
  const serverFile = join(dir, 'server.json');
  // Second safety net behind client.ts's start lock: never run two servers on one state dir.
  try {
    const prev = JSON.parse(readFileSync(serverFile, 'utf8')) as { pid?: number };
    if (prev.pid && prev.pid !== process.pid && alive(prev.pid)) fatal(`a sandbox server (pid ${prev.pid}) already uses ${dir}`);
  } catch { /* none or unreadable: we take over */ }

  let delays, world, faults, spotCapacity = Infinity;
  try {
    delays = parseDelays(process.env.EC2TERM_SANDBOX_DELAYS, DELAY_PRESETS.realistic);
    faults = parseFaults(process.env.EC2TERM_SANDBOX_FAULTS ?? '');
    spotCapacity = parseSpotCapacity(process.env.EC2TERM_SANDBOX_SPOT_CAPACITY);
    world = loadWorld(dir);
  } catch (e) { fatal((e as Error).message); }

  const sandbox = new Sandbox(dir, world, delays);
  sandbox.faults.set(faults);
  sandbox.spotCapacity = spotCapacity;
  const startedAt = new Date().toISOString();
  let url = '';
  let port = 0;
  const server = createSandboxServer(sandbox, () => ({ pid: process.pid, url, port, dir, startedAt }), secrets);

  const wanted = Number(process.env.EC2TERM_SANDBOX_PORT ?? 0);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(Number.isInteger(wanted) ? wanted : 0, '127.0.0.1', () => resolve());
  }).catch((e: Error) => fatal(`cannot listen on 127.0.0.1:${wanted}: ${e.message}`));
  port = (server.address() as { port: number }).port;
  url = `http://127.0.0.1:${port}`;

  // Endpoints first, so a client seeing server.json finds running instances reachable.
  await sandbox.restoreEndpoints();
  const tmp = `${serverFile}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify({ pid: process.pid, url, port, startedAt }) + '\n', { mode: 0o600 });
  renameSync(tmp, serverFile);
  process.stdout.write(`ec2term sandbox listening on ${url} (state in ${dir})\n`);

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    server.close();
    server.closeAllConnections();
    await sandbox.close().catch((e: Error) => process.stderr.write(`sandbox: ${e.message}\n`));
    try {
      const cur = JSON.parse(readFileSync(serverFile, 'utf8')) as { pid?: number };
      if (cur.pid === process.pid) unlinkSync(serverFile);
    } catch { /* already gone */ }
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
}

void main();
