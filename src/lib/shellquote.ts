// Shell quoting for POSIX sh and bash, shared by the user-data builder, the printed command lines and the
// remote commands ec2term sends over SSH. Pure.

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/**
 * Quotes one word so that sh/bash reads it back verbatim: plain words stay as they are, everything
 * else goes in single quotes with embedded single quotes written as '\''. The empty string is ''.
 * NUL cannot be carried by any shell word and is refused.
 */
export function shellQuote(word: string): string {
  if (word.includes('\0')) throw new Error('a shell word cannot contain a NUL character');
  if (word === '') return "''";
  if (SAFE.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Always single-quoted, even a plain word (which shellcheck would read as a command name in `f=file`). */
export function shellQuoteAlways(word: string): string {
  if (word.includes('\0')) throw new Error('a shell word cannot contain a NUL character');
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Quotes each word and joins them with spaces. */
export function shellJoin(words: readonly string[]): string {
  return words.map(shellQuote).join(' ');
}

/** Splits a command line the way sh does for plain words and quotes (no expansions). For tests and --other-opts. */
export function shellSplit(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  let i = 0;
  while (i < line.length) {
    const c = line[i]!;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new Error('unterminated single quote');
      cur += line.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (c === '"') {
      i++;
      while (i < line.length && line[i] !== '"') {
        if (line[i] === '\\' && i + 1 < line.length && '"\\$`'.includes(line[i + 1]!)) i++;
        cur += line[i];
        i++;
      }
      if (i >= line.length) throw new Error('unterminated double quote');
      inWord = true;
      i++;
    } else if (c === '\\' && i + 1 < line.length) {
      cur += line[i + 1];
      inWord = true;
      i += 2;
    } else if (/\s/.test(c)) {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
      i++;
    } else {
      cur += c;
      inWord = true;
      i++;
    }
  }
  if (inWord) out.push(cur);
  return out;
}
