// The hostile-string corpus: what anyone who can call CreateTags or RunInstances, or run a hostile
// SSH/SFTP server, can put in front of ec2term. Every renderer and emitted file is tested with all of them.
import assert from 'node:assert/strict';

export const HOSTILE: Record<string, string> = {
  'newline + ssh directive': 'web\nProxyCommand sh -c "id > /tmp/ec2term-pwned" #',
  'CR overwrite': 'good\rEVIL',
  'OSC 0 title': 'lab\u001b]0;owned title\u0007',
  'OSC 52 clipboard': 'lab\u001b]52;c;cm0gLXJmIH4K\u0007',
  'ESC[2J clear': '\u001b[2Jlab',
  'cursor moves': 'lab\u001b[1A\u001b[10D\u001b[Kfake row',
  'C1 CSI': 'lab\u009b2J',
  'U+202E override': 'lab\u202etxt.exe',
  'bidi isolates': '\u2066lab\u2069\u200f',
  'zero-width': 'l\u200ba\u200db\ufeff',
  'NUL-free C0 mix': 'a\u0001b\u0007c\u0008d\u000be\u000cf\u007fg',
  'tab': 'a\tb',
  'line separator': 'a\u2028b\u2029c',
  'very long': 'x'.repeat(5000),
  CJK: '実験室サーバー',
  quotes: `it's "quoted"`,
  'command substitution': '$(id)',
  backticks: '`id`',
  'leading dash': '-oProxyCommand=touch /tmp/ec2term-pwned',
  'semicolon and glob': 'a; rm -rf * &',
};

/** Characters a terminal must never receive raw from untrusted text (ESC is checked separately). */
const RAW = /[\u0000-\u0008\u000b-\u001a\u001c-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/u;
/** The only escape sequences ec2term itself writes: its palette's colours. */
const OWN_SGR = /\u001b\[(?:1|2|22|3[1-6]|39)m/g;

/** Asserts `text` (terminal output, several lines) carries no raw control, bidi or invisible character. */
export function assertTerminalSafe(text: string, what: string): void {
  const stripped = text.replace(OWN_SGR, '');
  const m = RAW.exec(stripped) ?? /\u001b/.exec(stripped) ?? /\r/.exec(stripped);
  assert.equal(m, null, `${what}: raw ${m ? JSON.stringify(m[0]) : ''} reached the terminal in ${JSON.stringify(text.slice(Math.max(0, (m?.index ?? 0) - 20), (m?.index ?? 0) + 20))}`);
}

/** Asserts one line (no newline, no raw controls). */
export function assertOneSafeLine(text: string, what: string): void {
  assert.ok(!text.includes('\n'), `${what}: spans several lines: ${JSON.stringify(text.slice(0, 80))}`);
  assertTerminalSafe(text, what);
}
