#!/usr/bin/env node
// Benchmark: `ec2list --sandbox --json` (the real bin, spawned) over 1k, 5k and 10k sandbox instances.
// Prints wall time per size (median of runs), ms per 1000 instances, and checks the 10k target (< 2 s).
// Usage: npm run build && node bench/list-scale.mjs [runs=3] [sizes=1000,5000,10000]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const { ensureSandbox, stopSandbox, adminRequest } = await import('../dist/src/sandbox/client.js');

const runs = Number(process.argv[2] ?? 3);
const sizes = (process.argv[3] ?? '1000,5000,10000').split(',').map(Number);
const dir = mkdtempSync(join(tmpdir(), 'ec2term-bench-list-'));
const env = {
  PATH: process.env.PATH,
  HOME: join(dir, 'home'),
  EC2TERM_SANDBOX_DIR: join(dir, 'state'),
  EC2TERM_SANDBOX_DELAYS: 'zero',
  AWS_EC2_METADATA_DISABLED: 'true',
};

function listOnce() {
  const t = performance.now();
  const r = spawnSync(process.execPath, [join(root, 'bin/ec2list'), '--sandbox', '--json'], { env, encoding: 'utf8', maxBuffer: 1 << 30 });
  const ms = performance.now() - t;
  if (r.status !== 0) throw new Error(`ec2list exited ${r.status}: ${r.stderr.slice(0, 500)}`);
  return { ms, count: JSON.parse(r.stdout).length, bytes: r.stdout.length };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const info = await ensureSandbox({ ...process.env, ...env });
const results = [];
try {
  let have = 0;
  for (const size of sizes) {
    if (size > have) {
      await adminRequest(info, 'POST', '/_sandbox/bulk-instances', { region: 'us-east-1', count: size - have, namePrefix: `bench-${have}-` });
      have = size;
    }
    listOnce(); // warm the disk cache and the sandbox's state
    const times = [];
    let last;
    for (let k = 0; k < runs; k++) {
      last = listOnce();
      if (last.count !== size) throw new Error(`listed ${last.count} instances, expected ${size}`);
      times.push(last.ms);
    }
    const ms = median(times);
    results.push({ size, ms, perK: ms / (size / 1000), bytes: last.bytes });
    console.log(`${String(size).padStart(6)} instances: ${ms.toFixed(0).padStart(5)} ms median of ${runs} (min ${Math.min(...times).toFixed(0)}, max ${Math.max(...times).toFixed(0)}), ${(ms / (size / 1000)).toFixed(0)} ms per 1k, JSON ${(last.bytes / 1e6).toFixed(1)} MB`);
  }
} finally {
  await stopSandbox({ ...process.env, ...env });
  rmSync(dir, { recursive: true, force: true });
}

// Linear growth: the marginal cost per 1k instances between sizes should stay about the same.
if (results.length >= 2) {
  const slopes = results.slice(1).map((r, k) => (r.ms - results[k].ms) / ((r.size - results[k].size) / 1000));
  console.log(`marginal ms per 1k instances: ${slopes.map((s) => s.toFixed(0)).join(', ')} (linear when these are close)`);
}
const tenK = results.find((r) => r.size === 10_000);
if (tenK) {
  const ok = tenK.ms < 2000;
  console.log(`10k target (< 2000 ms): ${ok ? 'met' : 'MISSED'} at ${tenK.ms.toFixed(0)} ms`);
  process.stdout.write(`BENCH ${JSON.stringify({ case: 'ec2list --sandbox --json, 10,000 instances (bin, end to end)', ours_ms: Math.round(tenK.ms), peer_ms: null, ratio: null, aim: '< 2000 ms', ok, note: `${results.map((r) => `${r.size}: ${r.ms.toFixed(0)} ms`).join(', ')}${ok ? '' : '; the sandbox server (generating 12 MB of XML in 10 pages) and ec2list share the 2 cores; in ec2list the XML parse (~0.5 s), the SDK turning it into objects (~0.45 s) and GC (~0.4 s) dominate; a streaming parse straight into the rows would close it'}` })}\n`);
}
