// Minimal XML writing (EC2 and Route 53 replies) and reading (Route 53 request bodies).
// No dependency: the shapes are small and fixed, and the sandbox must start fast.

const NAMED: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };
/**
 * Text and attribute escaping for every reply. Markup characters become entities; tab, LF and CR
 * become character references (valid XML 1.0, and they survive parsers' newline and blank-text
 * handling); the other C0 controls and U+FFFE/U+FFFF, which XML 1.0 cannot carry at all, become
 * numeric character references as EC2 sends them: the SDK decodes them, strict XML 1.0 parsers
 * (expat in botocore, so awscli) refuse the reply, exactly as they refuse EC2's. Never raw.
 */
const SPECIAL = /[&<>"'\x00-\x1f\ufffe\uffff]/g;
export function esc(s: string): string {
  return s.replace(SPECIAL, (c) => NAMED[c] ?? `&#${c.charCodeAt(0)};`);
}

/** Already-serialised XML content, inserted verbatim (used for hot, cached fragments). */
export class RawXml { constructor(readonly xml: string) {} }

export type XmlValue = string | number | boolean | Date | RawXml | null | undefined | XmlObject | XmlValue[];
export interface XmlObject { [k: string]: XmlValue }

/**
 * Serialises a plain object. Arrays are written EC2-style (`<key><item>..</item></key>`) when
 * `itemLists` is true, else as repeated `<key>` elements (Route 53 style, where the caller nests
 * `{ HostedZones: { HostedZone: [..] } }`). null/undefined fields are omitted.
 */
export function toXml(obj: XmlObject, itemLists: boolean): string {
  let out = '';
  for (const [k, v] of Object.entries(obj)) out += field(k, v, itemLists);
  return out;
}

function scalar(v: string | number | boolean | Date | RawXml): string {
  if (v instanceof RawXml) return v.xml;
  if (v instanceof Date) return v.toISOString();
  return esc(String(v));
}

function field(k: string, v: XmlValue, itemLists: boolean): string {
  if (v === undefined || v === null) return '';
  if (v instanceof RawXml) return `<${k}>${v.xml}</${k}>`;
  if (Array.isArray(v)) {
    if (itemLists) {
      let inner = '';
      for (const x of v) inner += field('item', x, true);
      return `<${k}>${inner}</${k}>`;
    }
    let out = '';
    for (const x of v) out += field(k, x, false);
    return out;
  }
  if (typeof v === 'object' && !(v instanceof Date)) return `<${k}>${toXml(v, itemLists)}</${k}>`;
  return `<${k}>${scalar(v)}</${k}>`;
}

export function xmlDoc(root: string, ns: string, body: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${root} xmlns="${ns}">${body}</${root}>`;
}

// ---- reading ----
export interface XmlNode { name: string; children: XmlNode[]; text: string }

const ENT: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
function unesc(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|amp|lt|gt|quot|apos);/g, (_m, e: string) =>
    e[0] === '#' ? String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10)) : ENT[e]!);
}

/** Parses a document into a tree; namespaces prefixes are dropped from names. Throws on malformed input. */
export function parseXml(src: string): XmlNode {
  let i = 0;
  const root: XmlNode = { name: '#root', children: [], text: '' };
  const stack: XmlNode[] = [root];
  while (i < src.length) {
    const lt = src.indexOf('<', i);
    const top = stack[stack.length - 1]!;
    if (lt < 0) { top.text += unesc(src.slice(i)); break; }
    if (lt > i) top.text += unesc(src.slice(i, lt));
    if (src.startsWith('<?', lt)) { i = src.indexOf('?>', lt) + 2; if (i < 2) throw new Error('unterminated <?'); continue; }
    if (src.startsWith('<!--', lt)) { i = src.indexOf('-->', lt) + 3; if (i < 3) throw new Error('unterminated comment'); continue; }
    if (src.startsWith('<![CDATA[', lt)) {
      const e = src.indexOf(']]>', lt); if (e < 0) throw new Error('unterminated CDATA');
      top.text += src.slice(lt + 9, e); i = e + 3; continue;
    }
    if (src.startsWith('<!', lt)) { i = src.indexOf('>', lt) + 1; continue; }
    const gt = src.indexOf('>', lt);
    if (gt < 0) throw new Error('unterminated tag');
    let tag = src.slice(lt + 1, gt);
    i = gt + 1;
    if (tag.startsWith('/')) {
      const name = tag.slice(1).trim().replace(/^.*:/, '');
      if (top.name !== name) throw new Error(`mismatched </${name}>`);
      stack.pop();
      continue;
    }
    const selfClose = tag.endsWith('/');
    if (selfClose) tag = tag.slice(0, -1);
    const name = tag.trim().split(/\s+/)[0]!.replace(/^.*:/, '');
    const node: XmlNode = { name, children: [], text: '' };
    top.children.push(node);
    if (!selfClose) stack.push(node);
  }
  if (stack.length !== 1) throw new Error('unclosed element');
  const el = root.children[0];
  if (!el) throw new Error('no root element');
  return el;
}

export function child(n: XmlNode | undefined, name: string): XmlNode | undefined {
  return n?.children.find((c) => c.name === name);
}
export function children(n: XmlNode | undefined, name: string): XmlNode[] {
  return n ? n.children.filter((c) => c.name === name) : [];
}
export function text(n: XmlNode | undefined, name: string): string | undefined {
  const c = child(n, name);
  return c ? c.text.trim() : undefined;
}
