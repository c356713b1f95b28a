#!/usr/bin/env node
// Peak RSS of `ec2list --json` on 10,000 sandbox instances (aim under 200 MB). Measured inside the process
// (process.resourceUsage().maxRSS at exit, through --import), so it needs no /usr/bin/time.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { bin, emit, median, NODE, rounds, skip, tempDir, timeRun, whyNotRunnable } from './lib/bench.mjs';
import { startBenchSandbox } from './lib/sandbox.mjs';

const caseName = 'peak RSS, ec2list --json, 10,000 instances';
const dir = tempDir('ec2term-bench-rss-');
const hook = join(dir, 'rss.mjs');
writeFileSync(hook, `import { writeFileSync } from 'node:fs';\nprocess.on('exit', () => writeFileSync(process.env.BENCH_RSS_FILE, String(process.resourceUsage().maxRSS)));\n`);
const sbx = await startBenchSandbox({ delays: 'zero' });
try {
  await sbx.bulk(10_000);
  const why = await whyNotRunnable('ec2list', ['--json'], sbx.env);
  if (why) skip(caseName, '< 200 MB', `ec2list does not run: ${why}`);
  else {
    const peaks = [];
    for (let i = 0; i < rounds(3); i++) {
      const out = join(dir, `rss-${i}`);
      await timeRun(NODE, ['--import', pathToFileURL(hook).href, bin('ec2list'), '--json'], { env: { ...sbx.env, BENCH_RSS_FILE: out } });
      peaks.push(Number(readFileSync(out, 'utf8')) / 1024);
    }
    const mb = Math.round(median(peaks));
    emit({ case: caseName, ours: mb, unit: 'MB', peer_ms: null, ratio: null, aim: '< 200 MB', ok: mb < 200, runs: peaks.map(Math.round) });
  }
} finally {
  await sbx.stop();
  rmSync(dir, { recursive: true, force: true });
}
