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
