// The real GraphTerm 0.57 in tests: the runtime (npm run graphterm:runtime), its websocket, its page.
import { createHmac } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import WebSocket from 'ws';
import { findRuntime, type GraphTermRuntime } from '../../src/sandbox/graphterm/runtime.js';
import type { Page } from './browser.js';

/**
 * The installed runtime. Absent: the test is skipped with the command that installs it, except in CI
 * (.ci/run installs it), where a missing runtime fails the test instead of hiding it.
 */
export function graphtermRuntime(t: TestContext): GraphTermRuntime | undefined {
  const rt = findRuntime(process.env);
  if (rt) return rt;
  if (process.env.CI) throw new Error('the GraphTerm runtime is missing in CI (.ci/run runs npm run graphterm:runtime)');
  t.skip('no GraphTerm runtime: npm run graphterm:runtime');
  return undefined;
}

/** The first HTTP answer at url (GraphTerm starting, a tunnel opening), or an error after timeoutMs. */
export async function waitForHttp(url: string, timeoutMs = 15_000): Promise<Response> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(url).catch(() => undefined);
    if (res) return res;
    if (Date.now() > end) throw new Error(`nothing answered at ${url} within ${timeoutMs / 1000}s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The first message GraphTerm sends on its websocket (e.g. [["authenticate", {...}]]). */
export function firstSocketMessage(base: string, path = '/_websocket/local/new', query = ''): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const url = base.replace(/^http/, 'ws') + path + (query ? `?${query}` : '');
    const ws = new WebSocket(url, { origin: base, perMessageDeflate: false });
    const t = setTimeout(() => { ws.terminate(); reject(new Error(`no message from ${url}`)); }, 15_000);
    ws.once('message', (d: Buffer) => { clearTimeout(t); ws.close(); resolve(JSON.parse(d.toString())); });
    ws.once('error', (e) => { clearTimeout(t); reject(e); });
    ws.once('close', () => { clearTimeout(t); reject(new Error(`${url} closed before any message`)); });
  });
}

/** Where the page is and the end of what it shows: for a failure message (the code is in a password field, not in the text). */
async function pageState(page: Page): Promise<string> {
  const state = await page.evaluate<string>('JSON.stringify([location.href, document.body ? document.body.innerText.slice(-300) : ""])').catch((e: Error) => e.message);
  return state ?? '(no state)';
}

/**
 * Logs in on GraphTerm's own login form with code, opens a terminal and runs command in it. A login the
 * page did not act on (a loaded machine: the form shown before its script is ready) is tried once more
 * on a fresh page; a failure says where the page was and what it showed.
 */
export async function runInBrowserTerminal(page: Page, url: string, code: string, command: string, expect: string): Promise<void> {
  if (!/^\S+$/.test(code)) throw new Error('no GraphTerm code to log in with (reading it over SSH failed)');
  for (let attempt = 1; ; attempt++) {
    await page.navigate(`${url.replace(/\/$/, '')}/local/new`);
    await page.waitFor('(() => { const c = document.querySelector("#authcode"); return c && c.offsetParent; })()', "GraphTerm's login form", 30_000);
    await page.evaluate('document.querySelector("#authcode").focus()');
    await page.type(code);
    await page.press('Enter');
    // A loaded machine (CI's two cores, a browser and Python 2 side by side) can take a while here.
    try {
      // Keys go to the shell only once GraphTerm's page has switched its socket to terminal mode
      // (gWebSocket.terminal, graphterm.js); typed before that, Enter sends an "input" request to
      // GraphTerm's otrace console instead, which answers with a Python traceback.
      await page.waitFor('/\\/local\\/tty/.test(location.href) && typeof gWebSocket !== "undefined" && !!gWebSocket && gWebSocket.terminal === true', 'a terminal after the login', 45_000);
      break;
    } catch (e) {
      if (attempt === 2) throw new Error(`${(e as Error).message} (twice); the page: ${await pageState(page)}`);
    }
  }
  // The shell's prompt may come a while after the page: a command typed before it is lost, so it is
  // typed again when no output came.
  const waits = [6000, 20_000, 30_000];
  for (let attempt = 1; ; attempt++) {
    await page.type(command);
    await page.press('Enter');
    try {
      await page.waitFor(`document.body.innerText.includes(${JSON.stringify(expect)})`, `the output ${expect}`, waits[attempt - 1]);
      return;
    } catch (e) {
      if (attempt === waits.length) throw new Error(`${(e as Error).message}; the page: ${await pageState(page)}`);
    }
  }
}

/** Keeps a screenshot as a test artifact (test-artifacts/, not committed). */
export function keepScreenshot(name: string, png: Buffer): string {
  const dir = join(process.cwd(), 'test-artifacts');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, name);
  writeFileSync(file, png);
  return file;
}

/**
 * GraphTerm's websocket login as its page does it: the first answer carries a one-time cookie; the
 * browser proves the code with HMAC-SHA256(code, cookie), 16 hex digits. Returns the reply to that proof
 * (["authenticate", ...] again when the code is wrong).
 */
export async function socketLogin(base: string, code: string, path = '/_websocket/local/new'): Promise<[string, ...unknown[]][]> {
  const hello = await firstSocketMessage(base, path) as [string, { cookie: string }][];
  if (hello[0]?.[0] !== 'authenticate') throw new Error(`GraphTerm did not ask to authenticate: ${JSON.stringify(hello).slice(0, 200)}`);
  const cauth = hello[0][1].cookie;
  const key = code.replace(/-/g, '').slice(0, 16);
  const proof = createHmac('sha256', key).update(cauth).digest('hex').slice(0, 16);
  return await firstSocketMessage(base, path, `cauth=${cauth}&code=${proof}`) as [string, ...unknown[]][];
}
