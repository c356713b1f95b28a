// A small reader/writer for INI files as Python's ConfigParser (boto) and the AWS CLI write them:
// [sections], `key = value` or `key: value`, # and ; comments, indented continuation lines.
// Strict enough to call a damaged file damaged instead of guessing.

export type IniSections = Map<string, Map<string, string>>;

export class IniSyntaxError extends Error {
  constructor(
    readonly line: number,
    readonly reason: string,
  ) {
    super(`line ${line}: ${reason}`);
  }
}

export function parseIni(text: string): IniSections {
  const sections: IniSections = new Map();
  let current: Map<string, string> | undefined;
  let lastKey: string | undefined;
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((raw, i) => {
    const lineNo = i + 1;
    if (/^\s*([#;].*)?$/.test(raw)) return;
    if (/^\s/.test(raw) && current && lastKey !== undefined) {
      current.set(lastKey, `${current.get(lastKey)}\n${raw.trim()}`.trim());
      return;
    }
    const section = /^\[([^\]]+)\]\s*([#;].*)?$/.exec(raw.trim());
    if (section) {
      const name = section[1].trim();
      current = sections.get(name) ?? new Map();
      sections.set(name, current);
      lastKey = undefined;
      return;
    }
    const kv = /^([^=:\s][^=:]*?)\s*[=:]\s*(.*)$/.exec(raw.trim());
    if (!kv) throw new IniSyntaxError(lineNo, 'expected [section] or key = value');
    if (!current) throw new IniSyntaxError(lineNo, 'a key before any [section]');
    lastKey = kv[1].toLowerCase();
    current.set(lastKey, kv[2].trim());
  });
  return sections;
}

/**
 * Sets keys in one section of an INI text, keeping every other line (comments included) as it was.
 * Adds the section at the end when it is missing.
 */
export function setIniValues(text: string, section: string, values: Record<string, string>): string {
  const lines = text === '' ? [] : text.replace(/\n$/, '').split('\n');
  const pending = new Map(Object.entries(values));
  let inSection = false;
  let sectionEnd = -1;
  for (let i = 0; i < lines.length; i++) {
    const header = /^\s*\[([^\]]+)\]/.exec(lines[i]);
    if (header) {
      if (inSection) sectionEnd = i;
      inSection = header[1].trim() === section;
      if (inSection) sectionEnd = lines.length;
      continue;
    }
    if (!inSection) continue;
    const kv = /^([^=:\s#;][^=:]*?)\s*[=:]/.exec(lines[i]);
    const key = kv?.[1].toLowerCase();
    if (key && pending.has(key)) {
      lines[i] = `${key} = ${pending.get(key)}`;
      pending.delete(key);
    }
  }
  if (pending.size > 0) {
    const added = [...pending].map(([k, v]) => `${k} = ${v}`);
    if (sectionEnd === -1) {
      if (lines.length > 0 && lines[lines.length - 1].trim() !== '') lines.push('');
      lines.push(`[${section}]`, ...added);
    } else {
      let at = sectionEnd;
      while (at > 0 && lines[at - 1].trim() === '') at--;
      lines.splice(at, 0, ...added);
    }
  }
  return `${lines.join('\n')}\n`;
}
