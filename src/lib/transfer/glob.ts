// Remote-side globs for ec2scp ('lab:logs/*.log'): the shell cannot expand them, so we do it over SFTP.
// Pure helpers here; the expansion itself (readdir per wildcard segment) is in engine.ts.

/** Does a path segment hold an unescaped `*`, `?` or `[...]`? */
export function hasGlob(segment: string): boolean {
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === '*' || c === '?') return true;
    if (c === '[' && segment.indexOf(']', i + 2) !== -1) return true;
  }
  return false;
}

/** Removes backslash escapes from a segment that has no wildcards (`a\*b` -> `a*b`). */
export function unescapeGlob(segment: string): string {
  return segment.replace(/\\(.)/g, '$1');
}

/**
 * One path segment's glob -> RegExp, like the shell: `*` any run, `?` one character, `[abc]`, `[a-z]`,
 * `[!x]` / `[^x]` classes, `\x` a literal x. A leading dot must be matched explicitly (`*` skips dotfiles).
 */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '\\' && i + 1 < glob.length) {
      re += escapeRe(glob[++i]!);
    } else if (c === '*') {
      re += '[^/]*';
    } else if (c === '?') {
      re += '[^/]';
    } else if (c === '[') {
      const close = glob.indexOf(']', i + 2);
      if (close === -1) {
        re += '\\[';
        continue;
      }
      let body = glob.slice(i + 1, close);
      let negate = false;
      if (body.startsWith('!') || body.startsWith('^')) {
        negate = true;
        body = body.slice(1);
      }
      const cls = body.replace(/\\/g, '\\\\').replace(/\]/g, '\\]').replace(/\^/g, '\\^');
      re += `[${negate ? '^' : ''}${cls}]`;
      i = close;
    } else {
      re += escapeRe(c);
    }
  }
  const hiddenOk = glob.startsWith('.') || glob.startsWith('\\.');
  return new RegExp(`^${hiddenOk ? '' : '(?!\\.)'}${re}$`, 's');
}

function escapeRe(c: string): string {
  return /[.*+?^${}()|[\]\\/]/.test(c) ? `\\${c}` : c;
}

/** Names in a listing that a segment glob matches, sorted as `ls` would (byte order). Never `.`/`..`. */
export function matchNames(names: string[], glob: string): string[] {
  const re = globToRegExp(glob);
  return names.filter((n) => n !== '.' && n !== '..' && re.test(n)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** At most this many words from one brace pattern (a {a,b}{c,d}... bomb is a usage error, not a hang). */
export const MAX_BRACE_WORDS = 1024;

/**
 * Pure: the shell's brace expansion of one word, as OpenSSH's sftp/scp client does for remote paths:
 * `{a,b}.txt` -> a.txt b.txt, nested and repeated groups, `\{` `\,` `\}` literal. A group without a
 * top-level comma (`{}`, `{a}`) stays as written. Throws when an expansion exceeds MAX_BRACE_WORDS.
 */
export function expandBraces(word: string): string[] {
  // Find the first group with a top-level comma.
  for (let i = 0; i < word.length; i++) {
    if (word[i] === '\\') {
      i++;
      continue;
    }
    if (word[i] !== '{') continue;
    let depth = 0;
    const commas: number[] = [];
    let close = -1;
    for (let j = i; j < word.length; j++) {
      const c = word[j];
      if (c === '\\') {
        j++;
        continue;
      }
      if (c === '{') depth++;
      else if (c === '}') {
        depth--;
        if (depth === 0) {
          close = j;
          break;
        }
      } else if (c === ',' && depth === 1) commas.push(j);
    }
    if (close === -1) return [word];
    if (commas.length === 0) continue;
    const head = word.slice(0, i);
    const tail = word.slice(close + 1);
    const bounds = [i, ...commas, close];
    const out: string[] = [];
    for (let k = 0; k + 1 < bounds.length; k++) {
      for (const alt of expandBraces(word.slice(bounds[k]! + 1, bounds[k + 1]!))) {
        for (const rest of expandBraces(tail)) {
          out.push(head + alt + rest);
          if (out.length > MAX_BRACE_WORDS) throw new RangeError(`more than ${MAX_BRACE_WORDS} names from one {...} pattern`);
        }
      }
    }
    return out;
  }
  return [word];
}
