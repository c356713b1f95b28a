#!/usr/bin/env node
// Benchmark: DescribeInstances over 10,000 sandbox instances, paged 1000 at a time, through the AWS SDK.
// Usage: npm run build && node bench/sandbox-describe.mjs [count]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const { ensureSandbox, stopSandbox, adminRequest } = await import('../dist/src/sandbox/client.js');
const { EC2Client, paginateDescribeInstances } = await import('@aws-sdk/client-ec2');
const { SignatureV4 } = await import('@smithy/signature-v4');
const { createHash, createHmac } = await import('node:crypto');

/** Node-crypto Hash for the signer (so the bench needs nothing beyond the SDK's own tree). */
class NodeHash {
  constructor(secret) { this.h = secret ? createHmac('sha256', secret) : createHash('sha256'); }
  update(d) { this.h.update(d); }
  async digest() { return new Uint8Array(this.h.digest()); }
}

/** Server + transport only: signed raw POSTs, bodies read as text, no SDK parsing. */
async function rawPagedDescribe(info) {
  const signer = new SignatureV4({ service: 'ec2', region: 'us-east-1', sha256: NodeHash, credentials: { accessKeyId: info.accessKeyId, secretAccessKey: info.secretAccessKey } });
  const u = new URL(info.url);
  let token, pages = 0, bytes = 0;
  const t = performance.now();
  do {
    const body = `Action=DescribeInstances&Version=2016-11-15&MaxResults=1000${token ? `&NextToken=${encodeURIComponent(token)}` : ''}`;
    const req = await signer.sign({ method: 'POST', protocol: 'http:', hostname: u.hostname, port: Number(u.port), path: '/', headers: { host: u.host, 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }, body });
    const res = await fetch(info.url + '/', { method: 'POST', headers: req.headers, body });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${text.slice(0, 200)}`);
    bytes += text.length;
    pages++;
    token = /<nextToken>([^<]+)<\/nextToken>/.exec(text)?.[1];
  } while (token);
  return { ms: performance.now() - t, pages, bytes };
}

const count = Number(process.argv[2] ?? 10_000);
const root = mkdtempSync(join(tmpdir(), 'ec2term-bench-'));
const env = { ...process.env, EC2TERM_SANDBOX_DIR: join(root, 'state'), EC2TERM_SANDBOX_DELAYS: 'zero' };
try {
  const info = await ensureSandbox(env);
  let t = performance.now();
  await adminRequest(info, 'POST', '/_sandbox/bulk-instances', { region: 'us-east-1', count, namePrefix: 'bench-' });
  const createMs = performance.now() - t;
  const client = new EC2Client({ endpoint: info.url, region: 'us-east-1', credentials: { accessKeyId: info.accessKeyId, secretAccessKey: info.secretAccessKey } });

  const runs = [];
  for (let r = 0; r < 4; r++) {
    t = performance.now();
    let n = 0, pages = 0;
    for await (const page of paginateDescribeInstances({ client, pageSize: 1000 }, {})) {
      pages++;
      for (const res of page.Reservations ?? []) n += res.Instances?.length ?? 0;
    }
    runs.push({ ms: performance.now() - t, n, pages });
  }
  for (const [i, r] of runs.entries()) {
    if (r.n !== count) throw new Error(`run ${i}: saw ${r.n} instances, expected ${count}`);
  }
  const raw = [];
  for (let r = 0; r < 4; r++) raw.push(await rawPagedDescribe(info));
  const rawWarm = raw.slice(1).map((r) => r.ms).sort((a, b) => a - b);
  const warm = runs.slice(1).map((r) => r.ms).sort((a, b) => a - b);
  console.log(`sandbox DescribeInstances: ${count} instances, ${runs[0].pages} pages of 1000 via @aws-sdk/client-ec2`);
  console.log(`  bulk create: ${createMs.toFixed(0)} ms`);
  console.log(`  sandbox answer time (signed raw HTTP, ${raw[0].pages} pages, ${(raw[0].bytes / raw[0].pages / 1e6).toFixed(2)} MB/page), median of ${rawWarm.length}: ${rawWarm[Math.floor(rawWarm.length / 2)].toFixed(0)} ms`);
  console.log(`  SDK end to end incl. its XML parsing, first run: ${runs[0].ms.toFixed(0)} ms`);
  console.log(`  SDK end to end, median of ${warm.length} more: ${warm[Math.floor(warm.length / 2)].toFixed(0)} ms`);
  const answer = rawWarm[Math.floor(rawWarm.length / 2)];
  process.stdout.write(`BENCH ${JSON.stringify({ case: `sandbox DescribeInstances, ${count} instances paged (server answer time)`, ours_ms: Math.round(answer), peer_ms: null, ratio: null, aim: '< 1000 ms', ok: answer < 1000, note: `SDK end to end incl. its XML parsing: ${warm[Math.floor(warm.length / 2)].toFixed(0)} ms` })}\n`);
} finally {
  await stopSandbox(env);
  rmSync(root, { recursive: true, force: true });
}
