#!/usr/bin/env node
// npm run bench [-- WORD...] [--rounds N] [--quick] [--json FILE] [--no-build] [--strict]
// Builds (unless --no-build), runs every bench/*.mjs (or those whose name contains a WORD) one after the
// other, collects their `BENCH {...}` lines (docs/performance.md) and prints the table (Markdown).
// Installs nothing: a case whose peer is missing prints a skip with the reason.
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = join(here, '..');
const argv = process.argv.slice(2);
const opt = (name) => {
  const i = argv.indexOf(name);
  if (i === -1) return undefined;
  const v = argv[i + 1];
  argv.splice(i, 2);
  return v;
};
const flag = (name) => {
  const i = argv.indexOf(name);
  if (i !== -1) argv.splice(i, 1);
  return i !== -1;
};
const jsonFile = opt('--json');
const roundsOpt = opt('--rounds');
const quick = flag('--quick');
const noBuild = flag('--no-build');
const strict = flag('--strict');
if (flag('--help') || flag('-h')) {
  console.log('usage: npm run bench -- [WORD...] [--rounds N] [--quick] [--json FILE] [--no-build] [--strict]');
  process.exit(0);
}
const words = argv;

if (!noBuild) {
  const b = spawnSync(process.execPath, [join(root, 'scripts/build.mjs'), '--quiet'], { stdio: 'inherit' });
  if (b.status !== 0) console.error('bench: the build reported errors (see above); benchmarking what was built.');
}

// Order: cheap and independent first; each file is one process, run one at a time (timings need a quiet machine).
const ORDER = ['startup', 'list-vs-awscli', 'list-scale', 'regions-latency', 'sandbox-describe', 'launch-overhead', 'ssh-connect', 'ssh-reconnect', 'scp-throughput', 'scp-link', 'memory'];
const files = readdirSync(here)
  .filter((f) => f.endsWith('.mjs') && f !== 'run.mjs')
  .filter((f) => words.length === 0 || words.some((w) => f.includes(w)))
  .sort((a, b) => {
    const ia = ORDER.indexOf(a.replace(/\.mjs$/, ''));
    const ib = ORDER.indexOf(b.replace(/\.mjs$/, ''));
    return (ia === -1 ? 99 : ia) - (ib === -1 ? 99 : ib) || a.localeCompare(b);
  });
if (files.length === 0) {
  console.error(`bench: no bench file matches ${words.join(' ')}`);
  process.exit(1);
}

const env = { ...process.env, ...(roundsOpt ? { BENCH_ROUNDS: roundsOpt } : {}), ...(quick ? { BENCH_QUICK: '1' } : {}) };
const results = [];
for (const file of files) {
  console.error(`bench: ${file}`);
  const started = Date.now();
  const { code, lines } = await new Promise((resolve) => {
    const child = spawn(process.execPath, [join(here, file)], { cwd: root, env, stdio: ['ignore', 'pipe', 'inherit'] });
    let buf = '';
    const lines = [];
    child.stdout.on('data', (b) => {
      buf += b;
      let nl;
      while ((nl = buf.indexOf('\n')) !== -1) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.startsWith('BENCH ')) lines.push(line.slice(6));
        else process.stderr.write(`${line}\n`);
      }
    });
    child.on('close', (code) => resolve({ code, lines }));
  });
  let n = 0;
  for (const line of lines) {
    try {
      results.push({ file, ...JSON.parse(line) });
      n++;
    } catch {
      console.error(`bench: ${file}: unreadable BENCH line: ${line.slice(0, 200)}`);
    }
  }
  if (code !== 0) console.error(`bench: ${file} exited with ${code}`);
  if (n === 0) {
    const why = code !== 0 ? `the bench script failed (exit ${code}); see its output above` : 'printed no BENCH line (see docs/performance.md); its own output is above';
    results.push({ file, case: file.replace(/\.mjs$/, ''), ok: null, skipped: why });
  }
  console.error(`bench: ${file}: ${n} case(s) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

const fmt = (v, unit = 'ms') => (v == null ? '-' : unit === 'ms' && v >= 10_000 ? `${(v / 1000).toFixed(2)} s` : `${v} ${unit}`);
const rows = results.map((r) => {
  const unit = r.unit ?? 'ms';
  const ours = r.ours_ms ?? r.ours;
  const peer = r.peer_ms ?? r.peer_value;
  return [
    r.case,
    r.skipped ? '-' : fmt(ours, r.ours_ms != null ? 'ms' : unit),
    r.skipped ? '-' : r.peer ? `${fmt(peer)} (${r.peer})` : fmt(peer),
    r.ratio == null ? '-' : `${r.ratio}x`,
    r.aim ?? '-',
    r.skipped ? `skipped: ${r.skipped}` : r.ok === true ? `ok${r.note ? ` (${r.note})` : ''}` : r.ok === false ? `**missed**${r.note ? `: ${r.note}` : ''}` : (r.note ?? '-'),
  ];
});
const head = ['case', 'ours', 'peer', 'ratio', 'aim', 'result'];
const esc = (s) => String(s).replace(/\|/g, '\\|').replace(/\n/g, ' ');
const table = [head, head.map(() => '---'), ...rows].map((r) => `| ${r.map(esc).join(' | ')} |`).join('\n');
const machine = `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`;
console.log(`\n${table}\n\n${machine}`);
if (jsonFile) {
  writeFileSync(jsonFile, `${JSON.stringify({ machine, node: process.version, date: new Date().toISOString(), results }, null, 2)}\n`);
  console.error(`bench: wrote ${jsonFile}`);
}
process.exit(strict && results.some((r) => r.ok === false) ? 1 : 0);
