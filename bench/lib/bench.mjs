// Shared helpers for bench/*.mjs. Convention (docs/performance.md): every case prints ONE line on stdout
//   BENCH {"case":"...","ours_ms":N,"peer_ms":N|null,"ratio":N|null,"aim":"<= 1.3x","ok":true|false|null,...}
// and anything else goes to stderr. bench/run.mjs collects the lines into the table.
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const bin = (program) => join(ROOT, 'bin', program);
export const NODE = process.execPath;

/** Rounds per case: BENCH_ROUNDS (run.mjs --rounds N), else the case's default. */
export function rounds(dflt) {
  const n = Number(process.env.BENCH_ROUNDS);
  return Number.isInteger(n) && n > 0 ? n : dflt;
}
export const quick = () => process.env.BENCH_QUICK === '1';

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0 ? NaN : s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
const r1 = (x) => (x == null || Number.isNaN(x) ? null : Math.round(x * 10) / 10);
const r2 = (x) => (x == null || Number.isNaN(x) ? null : Math.round(x * 100) / 100);

/** Prints the case's BENCH line (and a readable line on stderr). */
export function emit(record) {
  const rec = { ...record };
  for (const k of ['ours_ms', 'peer_ms']) if (k in rec) rec[k] = r1(rec[k]);
  if ('ratio' in rec) rec.ratio = r2(rec.ratio);
  process.stdout.write(`BENCH ${JSON.stringify(rec)}\n`);
  const fig = rec.skipped ? `skipped: ${rec.skipped}` : `ours ${rec.ours_ms ?? rec.ours ?? '-'}${rec.unit ? ` ${rec.unit}` : ' ms'}${rec.peer_ms != null ? `, peer ${rec.peer_ms} ms, ratio ${rec.ratio}` : ''} (aim ${rec.aim}) ${rec.ok === true ? 'ok' : rec.ok === false ? 'MISSED' : ''}`;
  process.stderr.write(`bench: ${rec.case}: ${fig}\n`);
  return rec;
}

/** A case that cannot run here (missing peer, command not written yet): says why, with ok null. */
export function skip(caseName, aim, reason) {
  return emit({ case: caseName, ours_ms: null, peer_ms: null, ratio: null, aim, ok: null, skipped: reason });
}

export function which(cmd) {
  if (cmd.includes('/')) {
    try { accessSync(cmd, constants.X_OK); return cmd; } catch { return undefined; }
  }
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const p = join(dir || '.', cmd);
    try { accessSync(p, constants.X_OK); return p; } catch { /* next */ }
  }
  return undefined;
}

/** The Debian awscli v2 (/usr/bin/aws) if installed, else an `aws` on PATH; undefined when none. */
export function awsCli() {
  for (const c of ['/usr/bin/aws', 'aws']) {
    const p = which(c);
    if (!p) continue;
    const v = spawnSync(p, ['--version'], { encoding: 'utf8', env: { ...process.env, AWS_PAGER: '' } });
    if (v.status === 0) return { path: p, version: (v.stdout || v.stderr).trim() };
  }
  return undefined;
}

/**
 * One timed run: wall time from spawn to exit, in ms. stdout goes to /dev/null unless `capture`.
 * Throws when the command fails (a failing run is no measurement).
 */
export function timeRun(cmd, args, { env, cwd = ROOT, input, capture = false, allowFail = false } = {}) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(cmd, args, { env, cwd, stdio: [input === undefined ? 'ignore' : 'pipe', capture ? 'pipe' : 'ignore', 'pipe'] });
    const out = [];
    let err = '';
    child.stdout?.on('data', (b) => out.push(b));
    child.stderr.on('data', (b) => { if (err.length < 4000) err += b; });
    if (input !== undefined) child.stdin.end(input);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if ((code !== 0 || signal) && !allowFail) {
        reject(new Error(`${[cmd, ...args].join(' ')} exited ${signal ?? code}: ${err.trim().split('\n').slice(-3).join(' | ')}`));
        return;
      }
      resolve({ ms, code, stdout: Buffer.concat(out), stderr: err });
    });
  });
}

/**
 * Runs ours and peer alternately (ours, peer, ours, peer...) after `warmup` untimed pairs, and returns
 * medians and ratio = ours/peer. Each side: { cmd, args, env, input }.
 */
export async function alternate({ ours, peer, rounds: n = 10, warmup = 1 }) {
  const times = { ours: [], peer: [] };
  for (let i = 0; i < warmup + n; i++) {
    const order = i % 2 ? [['peer', peer], ['ours', ours]] : [['ours', ours], ['peer', peer]];
    for (const [side, spec] of order) {
      if (!spec) continue;
      const { ms } = await timeRun(spec.cmd, spec.args, spec);
      if (i >= warmup) times[side].push(ms);
    }
  }
  const o = median(times.ours);
  const p = peer ? median(times.peer) : null;
  return { ours_ms: o, peer_ms: p, ratio: p ? o / p : null, rounds: n, ours_all: times.ours.map(r1), peer_all: times.peer.map(r1) };
}

/** alternate() + aim check (ratio <= max) + emit. Missing peer/ours are reported as skips by the caller. */
export async function compareCase({ caseName, ours, peer, peerName, maxRatio, aim = `<= ${maxRatio}x`, rounds: n, warmup, note, extra = {} }) {
  const r = await alternate({ ours, peer, rounds: n, warmup });
  return emit({
    case: caseName, ours_ms: r.ours_ms, peer_ms: r.peer_ms, ratio: r.ratio, aim, ok: r.ratio != null ? r.ratio <= maxRatio : null,
    peer: peerName, rounds: r.rounds, ...(note ? { note } : {}), ...extra,
  });
}

/** A temp dir for a bench run. */
export const tempDir = (prefix = 'ec2term-bench-') => mkdtempSync(join(tmpdir(), prefix));

/** An environment for our bins: nothing AWS from the outside, a temp HOME, metadata probing off. */
export function cleanEnv(extra = {}) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || /^(AWS_|BOTO_|EC2TERM_|SSH_AUTH_SOCK$|DEBUG$|NO_COLOR$|FORCE_COLOR$)/.test(k)) continue;
    env[k] = v;
  }
  return { ...env, AWS_EC2_METADATA_DISABLED: 'true', NO_UPDATE_NOTIFIER: '1', ...extra };
}

/** Does bin/<program> run at all (built, and the command exists)? Returns the reason when not. */
export async function whyNotRunnable(program, args, env) {
  try {
    await timeRun(NODE, [bin(program), ...args], { env });
    return undefined;
  } catch (err) {
    return err.message.slice(0, 300);
  }
}
