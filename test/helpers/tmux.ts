// A real terminal for tests: a private tmux server (its own socket), one window running a command, its
// screen read with capture-pane and keys sent with send-keys. Waits are on what the screen shows, never on time.
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export function tmuxAvailable(): boolean {
  return spawnSync('tmux', ['-V']).status === 0;
}

export interface TmuxTerminal {
  /** The visible screen plus its scrollback, one string per row, trailing spaces removed. */
  screen(): Promise<string[]>;
  /** Waits until the screen matches (checking again after every change), or fails naming what it saw. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string[]>;
  /** tmux send-keys: words such as 'Enter', 'Down', 'Space', 'C-c', or literal text with literal=true. */
  keys(keys: string[], literal?: boolean): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts `argv` in a fresh tmux (width x height) with `env`; when it ends the window stays, showing
 * "EXIT=<status>" on its last line.
 */
export async function startTerminal(argv: string[], env: Record<string, string>, size = { width: 120, height: 40 }): Promise<TmuxTerminal> {
  const dir = mkdtempSync(join(tmpdir(), 'ec2term-tmux-'));
  const socket = join(dir, 'socket');
  const quoted = argv.map((w) => `'${w.replace(/'/g, `'\\''`)}'`).join(' ');
  const tmux = (args: string[]) => run('tmux', ['-S', socket, ...args], { env });
  await tmux(['-f', '/dev/null', 'new-session', '-d', '-x', String(size.width), '-y', String(size.height), 'bash', '--norc', '--noprofile', '-c', `${quoted}; echo "EXIT=$?"; exec sleep 3600`]);
  await tmux(['set-option', '-g', 'history-limit', '5000']);
  const screen = async () => (await tmux(['capture-pane', '-p', '-J', '-S', '-'])).stdout.split('\n').map((l) => l.trimEnd());
  return {
    screen,
    async waitFor(pattern, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      let last: string[] = [];
      for (;;) {
        last = await screen();
        if (pattern.test(last.join('\n'))) return last;
        if (Date.now() > deadline) throw new Error(`the terminal never showed ${pattern}; it shows:\n${last.join('\n')}`);
        // Polling tmux is the only way to see a screen change; a short pause between looks, not a timed assertion.
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async keys(keys, literal = false) {
      await tmux(['send-keys', ...(literal ? ['-l'] : []), ...keys]);
    },
    async close() {
      await tmux(['kill-server']).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
