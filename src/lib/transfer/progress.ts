// The progress line ec2scp draws on stderr while copying (a terminal only; never when piped or -q):
// files done, current file, percent, bytes, rate and time left. Pure formatting plus a small redrawing timer.
import type { StatusLine } from '../status-line.js';
import { displayWidth, truncate } from '../table.js';
import { forTerminal } from '../untrusted.js';

/** 1536 -> "1.5KB", 200*2^20 -> "200MB" (binary units, scp's spelling). */
export function formatBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? String(v) : v < 10 ? v.toFixed(1) : Math.round(v)}${units[i]}`;
}

/** Seconds -> "0:07", "12:05", "1:02:03"; "--:--" when unknown. */
export function formatEta(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

export interface ProgressState {
  filesDone: number;
  files: number;
  bytesDone: number;
  bytes: number;
  /** Bytes per second, smoothed. */
  rate: number;
  current?: string;
}

/** Pure: one progress line fitted to `width` columns (the file name is shortened from the left). */
export function progressLine(s: ProgressState, width: number): string {
  const pct = s.bytes > 0 ? Math.floor((s.bytesDone / s.bytes) * 100) : s.filesDone === s.files ? 100 : 0;
  const eta = s.rate > 0 ? (s.bytes - s.bytesDone) / s.rate : undefined;
  const count = s.files > 1 ? `[${s.filesDone}/${s.files}] ` : '';
  const right = ` ${String(pct).padStart(3)}% ${formatBytes(s.bytesDone).padStart(6)}/${formatBytes(s.bytes)} ${`${formatBytes(Math.round(s.rate))}/s`.padStart(9)} ${formatEta(eta).padStart(5)} ETA`;
  const room = Math.max(0, width - 1 - right.length - count.length);
  // A remote file name is untrusted: escaped, then measured in terminal columns (CJK takes two).
  let name = forTerminal(s.current ?? '');
  if (displayWidth(name) > room) name = room > 1 ? `…${tail(name, room - 1)}` : '';
  return truncate(`${count}${name}${' '.repeat(Math.max(0, room - displayWidth(name)))}${right}`, Math.max(0, width - 1));
}

/** The end of `s` that fits in `width` columns. */
function tail(s: string, width: number): string {
  const chars = [...s];
  let out = '';
  let used = 0;
  for (let i = chars.length - 1; i >= 0; i--) {
    const w = displayWidth(chars[i]!);
    if (used + w > width) break;
    out = chars[i]! + out;
    used += w;
  }
  return out;
}

/** Redraws the progress line every `intervalMs` on the status line (a terminal only). */
export class ProgressBar {
  private state: ProgressState = { filesDone: 0, files: 0, bytesDone: 0, bytes: 0, rate: 0 };
  private timer?: NodeJS.Timeout;
  private samples: { t: number; b: number }[] = [];

  constructor(
    private readonly status: StatusLine,
    private readonly columns: () => number,
    private readonly intervalMs = 200,
  ) {}

  start(files: number, bytes: number): void {
    this.state = { ...this.state, files, bytes };
    this.samples = [{ t: Date.now(), b: 0 }];
    this.timer = setInterval(() => this.draw(), this.intervalMs);
    this.timer.unref();
  }

  add(n: number): void {
    this.state.bytesDone += n;
  }

  file(name: string): void {
    this.state.current = name;
  }

  fileDone(): void {
    this.state.filesDone++;
  }

  private line(): string {
    const now = Date.now();
    this.samples.push({ t: now, b: this.state.bytesDone });
    while (this.samples.length > 2 && now - this.samples[0]!.t > 3000) this.samples.shift();
    const first = this.samples[0]!;
    const dt = (now - first.t) / 1000;
    if (dt > 0) this.state.rate = (this.state.bytesDone - first.b) / dt;
    return progressLine(this.state, this.columns());
  }

  private draw(): void {
    this.status.show(this.line());
  }

  /** Draws the final line (kept on screen, like scp) and stops. */
  stop(final = true): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.status.end(final && this.state.files > 0 ? this.line() : undefined);
  }
}
