// The one rule for untrusted text: tag values, names, console lines, server messages and remote file
// names can hold anything (newlines, escape sequences, bidi controls). Each sink has one function here
// that makes such text safe for it:
//   terminal    forTerminal: control, bidi and invisible characters shown escaped (\x1b, \u202e), never
//               interpreted; a newline is shown as \n, so one line stays one line
//   shell       shellWord: a word a POSIX shell reads back verbatim, printable on a terminal
//   ssh_config  sshConfigAlias / sshConfigValue / sshConfigComment: written only when OpenSSH will read
//               exactly that back; otherwise undefined, and the caller leaves the entry out
//   ssh login   loginUserProblem / hostProblem: what OpenSSH would refuse (or read as an option)
// JSON needs nothing: JSON.stringify escapes. Light on purpose (errors.ts and output.ts use it on every run).
import { shellQuote } from './shellquote.js';

/**
 * Characters that make a terminal do something other than print one glyph: C0, DEL and C1 controls,
 * every format character (bidi embeddings, overrides and isolates, LRM/RLM, ALM, zero-width spaces and
 * joiners, BOM, tag characters), line/paragraph separators, lone surrogates, and the Hangul fillers that
 * draw as blanks.
 */
const UNSAFE = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}\u115f\u1160\u3164\uffa0]/gu;
/** UNSAFE less C0: JSON.stringify escapes C0 inside strings, and its own newlines are layout (a 10k listing has ~500k). */
const JSON_UNSAFE = /[\u007f-\u009f\p{Cf}\p{Cs}\p{Zl}\p{Zp}\u115f\u1160\u3164\uffa0]/gu;
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escapeChar(c: string): string {
  const named = NAMED[c];
  if (named) return named;
  const cp = c.codePointAt(0)!;
  if (cp < 0x100) return `\\x${cp.toString(16).padStart(2, '0')}`;
  if (cp <= 0xffff) return `\\u${cp.toString(16).padStart(4, '0')}`;
  return `\\u{${cp.toString(16)}}`;
}

/** True when `text` holds a character the terminal rule escapes. */
export function hasUnsafeTerminalChars(text: string): boolean {
  UNSAFE.lastIndex = 0;
  const found = UNSAFE.test(text);
  UNSAFE.lastIndex = 0;
  return found;
}

/** The SGR sequences ec2term's own palette writes (chalk level 1: bold, dim, 31-36, and their resets). */
const OWN_COLOURS = /(\u001b\[(?:1|2|22|3[1-6]|39)m)/;

export interface TerminalOptions {
  /** Let tabs through (TSV columns). */
  keepTabs?: boolean;
  /** Let ec2term's own colour codes through (text already escaped, then painted). */
  keepColours?: boolean;
}

/** Text as a terminal must show it: one line, every control/bidi/invisible character escaped. */
export function forTerminal(text: string, o: TerminalOptions = {}): string {
  const escape = (s: string) => s.replace(UNSAFE, (c) => (o.keepTabs && c === '\t' ? c : escapeChar(c)));
  if (!o.keepColours) return escape(text);
  return text
    .split(OWN_COLOURS)
    .map((part, i) => (i % 2 === 1 ? part : escape(part)))
    .join('');
}

/**
 * JSON, pretty: the same value when parsed, but the characters JSON.stringify leaves raw (DEL, C1, bidi,
 * invisible, U+2028/9) written as \uXXXX, so `--json` on a terminal is as safe as the table.
 */
export function jsonForTerminal(value: unknown): string {
  return (JSON.stringify(value, null, 2) ?? 'null').replace(JSON_UNSAFE, (c) =>
    c.split('').map((unit) => `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`).join(''),
  );
}

// ---------------------------------------------------------------------------------------------
// Shell

/** A word to print for copy-paste: shell-quoted, or $'...' (bash, zsh, ksh, POSIX 2024 sh) when it holds controls. */
export function shellWord(word: string): string {
  if (!hasUnsafeTerminalChars(word)) return shellQuote(word);
  let body = '';
  for (const c of word) body += c === '\\' || c === "'" ? `\\${c}` : hasUnsafeTerminalChars(c) ? ansiCEscape(c) : c;
  return `$'${body}'`;
}

/** One character inside $'...': its UTF-8 bytes as \xHH (bash's \u depends on the locale; bytes do not). */
function ansiCEscape(c: string): string {
  if (NAMED[c]) return NAMED[c]!;
  return [...Buffer.from(c, 'utf8')].map((b) => `\\x${b.toString(16).padStart(2, '0')}`).join('');
}

/** The name to put in a copy-paste hint: the name shell-quoted when it is plain text, else the instance id. */
export function hintName(i: { name?: string; id: string }): string {
  return i.name && !hasUnsafeTerminalChars(i.name) ? shellQuote(i.name) : i.id;
}

// ---------------------------------------------------------------------------------------------
// SSH login words

/**
 * A login user ec2term passes to ssh: a POSIX-style user name (letters, digits, '_', '.', '-', not
 * starting with '-', optionally ending in '$'). Stricter than OpenSSH's valid_ruser(), which refuses a
 * leading '-', the shell metacharacters '`";&<>|(){} and a trailing backslash; this refuses those too.
 */
const LOGIN_USER = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}\$?$/;

/** Why `user` cannot be a login user, or undefined when it can. */
export function loginUserProblem(user: string): string | undefined {
  if (LOGIN_USER.test(user)) return undefined;
  if (user.startsWith('-')) return 'it starts with "-" (ssh would read it as an option)';
  return "expected letters, digits, '_', '.', '-' (at most 64, not starting with '-' or a digit)";
}

/** An address or DNS name for ssh: no leading '-', no shell metacharacters, spaces or controls (OpenSSH's valid_hostname, narrowed). */
const HOST = /^(?:[A-Za-z0-9_](?:[A-Za-z0-9._-]{0,252})|\[?[0-9A-Fa-f:.]+\]?)$/;

export function hostProblem(host: string): string | undefined {
  return HOST.test(host) ? undefined : 'expected an IP address or a DNS name';
}

// ---------------------------------------------------------------------------------------------
// ssh_config (OpenSSH's readconf.c: a line is split into words by argv_split(); since 8.7 a word may be
// "quoted" with \" \\ escapes, older versions take "..." without escapes; values of IdentityFile and
// UserKnownHostsFile also expand %-tokens, ~ and ${VAR}; a '#' starting a word begins a comment.)

/** A Host alias: one plain word that is not a pattern (no '*', '?', '!', ',') and no option. */
const ALIAS = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,252}$/;

export function sshConfigAlias(alias: string): string | undefined {
  return ALIAS.test(alias) ? alias : undefined;
}

const PLAIN_VALUE = /^[A-Za-z0-9_@%+:,./~-]+$/;

/**
 * A directive's value written so that every OpenSSH version reads exactly `value` back; undefined when
 * that is impossible (controls, newlines, '"' or '\', '${' in a path). `tokens`: the directive expands
 * %-tokens, so a literal '%' is written '%%'.
 */
export function sshConfigValue(value: string, o: { tokens?: boolean } = {}): string | undefined {
  if (value === '' || hasUnsafeTerminalChars(value) || /["\\]/.test(value)) return undefined;
  if (o.tokens && value.includes('${')) return undefined;
  const v = o.tokens ? value.replace(/%/g, '%%') : value;
  return PLAIN_VALUE.test(v) ? v : `"${v}"`;
}

/** A comment line: always exactly one line, whatever `text` holds. */
export function sshConfigComment(text: string): string {
  return `# ${forTerminal(text)}`;
}
