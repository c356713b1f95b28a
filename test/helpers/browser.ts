// A real browser for tests: Debian's Chromium, headless, driven over the Chrome DevTools Protocol
// (JSON messages on a WebSocket). Written against the protocol directly because the tests need five
// commands (navigate, evaluate, type, key, screenshot), and puppeteer's current majors need Node 22.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

export function findChromium(): string | undefined {
  return process.env.CHROMIUM && existsSync(process.env.CHROMIUM) ? process.env.CHROMIUM : CANDIDATES.find((c) => existsSync(c));
}

export interface Page {
  navigate(url: string): Promise<void>;
  /** The value of a JavaScript expression in the page (awaited when it is a promise). */
  evaluate<T = unknown>(expression: string): Promise<T>;
  /** Polls an expression until it is truthy; throws with `what` after timeoutMs. */
  waitFor<T = unknown>(expression: string, what: string, timeoutMs?: number): Promise<T>;
  /** Types text into the focused element, as a keyboard would. */
  type(text: string): Promise<void>;
  press(key: 'Enter'): Promise<void>;
  screenshot(): Promise<Buffer>;
  close(): Promise<void>;
}

export async function openPage(chromium: string): Promise<Page> {
  const profile = mkdtempSync(join(tmpdir(), 'ec2term-chromium-'));
  const child: ChildProcess = spawn(chromium, [
    '--headless=new', '--no-sandbox', '--disable-gpu', '--no-first-run', '--no-default-browser-check',
    '--disable-extensions', '--disable-background-networking', '--window-size=1100,800',
    `--user-data-dir=${profile}`, '--remote-debugging-port=0', 'about:blank',
  ], { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  const browserUrl = await new Promise<string>((resolve, reject) => {
    let err = '';
    const t = setTimeout(() => reject(new Error(`chromium did not start: ${err.slice(-300)}`)), 30_000);
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /DevTools listening on (ws:\/\/\S+)/.exec(err);
      if (m) { clearTimeout(t); resolve(m[1]); }
    });
    child.on('exit', (code) => { clearTimeout(t); reject(new Error(`chromium exited (${code}): ${err.slice(-300)}`)); });
  });
  const port = new URL(browserUrl).port;
  const targets = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json() as { type: string; webSocketDebuggerUrl: string }[];
  const target = targets.find((t) => t.type === 'page');
  if (!target) throw new Error('chromium has no page');
  const ws = new WebSocket(target.webSocketDebuggerUrl, { perMessageDeflate: false });
  await new Promise<void>((resolve, reject) => { ws.once('open', () => resolve()); ws.once('error', reject); });
  let next = 1;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const waiters: { method: string; resolve: () => void }[] = [];
  ws.on('message', (data: Buffer) => {
    const msg = JSON.parse(data.toString()) as { id?: number; result?: unknown; error?: { message: string }; method?: string };
    if (msg.id !== undefined) {
      const p = pending.get(msg.id);
      pending.delete(msg.id);
      if (msg.error) p?.reject(new Error(msg.error.message)); else p?.resolve(msg.result);
    } else if (msg.method) {
      for (const w of waiters.filter((x) => x.method === msg.method)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(); }
    }
  });
  const send = <T>(method: string, params: Record<string, unknown> = {}) => new Promise<T>((resolve, reject) => {
    const id = next++;
    pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
    ws.send(JSON.stringify({ id, method, params }));
  });
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  await send('Page.enable');
  const page: Page = {
    async navigate(url) {
      const loaded = new Promise<void>((resolve) => waiters.push({ method: 'Page.loadEventFired', resolve }));
      await send('Page.navigate', { url });
      await Promise.race([loaded, sleep(15_000)]);
    },
    async evaluate<T>(expression: string) {
      const r = await send<{ result: { value?: T }; exceptionDetails?: { text: string } }>('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true });
      if (r.exceptionDetails) throw new Error(`page script failed: ${r.exceptionDetails.text}`);
      return r.result.value as T;
    },
    async waitFor<T>(expression: string, what: string, timeoutMs = 20_000) {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const v = await page.evaluate<T>(expression).catch(() => undefined);
        if (v) return v;
        if (Date.now() > end) throw new Error(`the page never showed ${what}`);
        await sleep(100);
      }
    },
    async type(text) {
      // One key event per character (GraphTerm reads keypress events, not input events).
      for (const ch of text) await send('Input.dispatchKeyEvent', { type: 'char', text: ch, unmodifiedText: ch, key: ch });
    },
    async press(key) {
      const k = { key, code: key, windowsVirtualKeyCode: 13, nativeVirtualKeyCode: 13, text: '\r', unmodifiedText: '\r' };
      await send('Input.dispatchKeyEvent', { type: 'keyDown', ...k });
      await send('Input.dispatchKeyEvent', { type: 'keyUp', ...k });
    },
    async screenshot() {
      const r = await send<{ data: string }>('Page.captureScreenshot', { format: 'png' });
      return Buffer.from(r.data, 'base64');
    },
    async close() {
      ws.close();
      const exited = new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
      // The whole group: Chromium's renderer and helper processes write into the profile too.
      try { process.kill(-child.pid!, 'SIGKILL'); } catch { child.kill('SIGKILL'); }
      await exited;
      try { rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 }); } catch { /* a temp folder; best effort */ }
    },
  };
  return page;
}
