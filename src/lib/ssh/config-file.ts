// Pure: the options an OpenSSH client config file (`-F FILE`, ssh_config(5)) gives one host: the
// lines before the first Host, then every `Host` block whose patterns match the host as typed, in file
// order (the caller keeps the first value of each key, as OpenSSH does). `Match` blocks other than
// `Match all` are not evaluated (they count as not matching); `Include` is not followed.

/** Pure: one config line -> [key (lower case), value], or undefined for blanks and comments. */
export function configLine(raw: string): [string, string] | undefined {
  const line = raw.trim();
  if (!line || line.startsWith('#')) return undefined;
  const m = /^([A-Za-z0-9]+)(?:\s*=\s*|\s+)(.*)$/.exec(line);
  if (!m) return undefined;
  return [m[1]!.toLowerCase(), unquote(m[2]!.trim())];
}

function unquote(value: string): string {
  // Values may be "double quoted" as a whole; inner words stay as written (IdentityFile paths with spaces).
  return /^"(.*)"$/.test(value) ? value.slice(1, -1) : value;
}

/** Pure: does one ssh_config pattern (with * and ?) match `host` (case-insensitive)? */
export function patternMatches(pattern: string, host: string): boolean {
  const re = new RegExp(`^${pattern.split('').map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&'))).join('')}$`, 'i');
  return re.test(host);
}

/** Pure: a `Host` line's pattern list against `host`: one pattern matches and no `!pattern` does. */
export function hostLineMatches(patterns: string[], host: string): boolean {
  let matched = false;
  for (const p of patterns) {
    if (p.startsWith('!')) {
      if (patternMatches(p.slice(1), host)) return false;
    } else if (patternMatches(p, host)) matched = true;
  }
  return matched;
}

/** Pure: the [key, value] pairs that apply to `host`, in file order. */
export function configOptionsFor(text: string, host: string): [string, string][] {
  const out: [string, string][] = [];
  let active = true;
  for (const raw of text.split(/\r?\n/)) {
    const kv = configLine(raw);
    if (!kv) continue;
    const [key, value] = kv;
    if (key === 'host') {
      active = hostLineMatches(value.split(/\s+/).map((p) => p.replace(/^"(.*)"$/, '$1')), host);
      continue;
    }
    if (key === 'match') {
      active = value.trim().toLowerCase() === 'all';
      continue;
    }
    if (key === 'include') continue;
    if (active) out.push([key, value]);
  }
  return out;
}
