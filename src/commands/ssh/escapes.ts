// Pure: OpenSSH's escape sequences (ssh(1), ESCAPE CHARACTERS) on an interactive session's input. The
// escape character (default `~`, -e CHAR, ^X notation, -e none) counts only right after a newline (or
// at the very start); `~~` sends one `~`; an unknown `~x` sends both characters, as ssh does.
import { UsageError } from '../../lib/errors.js';

export type EscapeAction = 'disconnect' | 'help' | 'list-forwards' | 'suspend' | 'rekey' | 'break' | 'command-line' | 'background';

export type EscapeOutput = { data: Buffer } | { action: EscapeAction };

/** Pure: -e / EscapeChar value -> the character, or null for none. */
export function parseEscapeChar(value: string): string | null {
  if (value === 'none') return null;
  if (value.length === 1) return value;
  if (/^\^[@-_a-z?]$/.test(value)) {
    const c = value[1]!.toUpperCase();
    return String.fromCharCode(c === '?' ? 0x7f : c.charCodeAt(0) & 0x1f);
  }
  throw new UsageError(`bad escape character "${value}": expected one character, ^X (a control character) or none`);
}

/** Pure: how the escape character is written in messages ("~", "^]"). */
export function showEscapeChar(c: string): string {
  const code = c.charCodeAt(0);
  if (code < 0x20) return `^${String.fromCharCode(code + 64)}`;
  if (code === 0x7f) return '^?';
  return c;
}

const COMMANDS: Record<string, EscapeAction> = {
  '.': 'disconnect',
  '?': 'help',
  '#': 'list-forwards',
  '\x1a': 'suspend',
  R: 'rekey',
  B: 'break',
  C: 'command-line',
  '&': 'background',
};

/** The text of `~?` (lines; the caller writes them with \r\n in raw mode). */
export function escapeHelp(c: string): string[] {
  const e = showEscapeChar(c);
  return [
    'Supported escape sequences:',
    ` ${e}.   - terminate connection`,
    ` ${e}B   - send a BREAK to the remote system`,
    ` ${e}C   - open a command line (not in ec2ssh)`,
    ` ${e}R   - request rekey`,
    ` ${e}^Z  - suspend ec2ssh`,
    ` ${e}#   - list forwarded connections`,
    ` ${e}&   - background (not in ec2ssh)`,
    ` ${e}?   - this message`,
    ` ${e}${e}   - send the escape character by typing it twice`,
    '(Note that escapes are only recognized immediately after newline.)',
  ];
}

/** The escape state of one session's input stream. */
export class EscapeFilter {
  private atLineStart = true;
  private pending = false;

  constructor(private readonly escapeChar: string) {}

  /** Splits a chunk of typed input into data to send and escape actions, in order. */
  feed(chunk: Buffer): EscapeOutput[] {
    const out: EscapeOutput[] = [];
    const esc = this.escapeChar.charCodeAt(0);
    let data: number[] = [];
    const flush = () => {
      if (data.length) out.push({ data: Buffer.from(data) });
      data = [];
    };
    for (const byte of chunk) {
      if (this.pending) {
        this.pending = false;
        const action = COMMANDS[String.fromCharCode(byte)];
        if (action && byte !== esc) {
          flush();
          out.push({ action });
          // As ssh: a command leaves the line start as it was, so `~?` then `~.` works.
          continue;
        }
        if (byte !== esc) data.push(esc);
      } else if (this.atLineStart && byte === esc) {
        this.pending = true;
        continue;
      }
      this.atLineStart = byte === 0x0d || byte === 0x0a;
      data.push(byte);
    }
    flush();
    return out;
  }
}
