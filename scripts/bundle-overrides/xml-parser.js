// Drop-in replacement for @aws-sdk/xml-builder/dist-es/xml-parser.js in the bundle (scripts/build-bundle.mjs).
// Same input -> same output and the same errors as the SDK's parser, which builds every tag name and text
// one character at a time (`text += x[i++]`); this one scans with charCodeAt/indexOf and slices, which
// makes `ec2list --json` on 10,000 instances spend ~4x less time in XML. Checked against the original by
// test/perf/xml-parser.test.ts (sandbox replies, errors, entities, CDATA, comments, attributes, fuzz).
function writeKey(obj) {
  Object.defineProperty(obj, '__proto__', { value: undefined, writable: true, enumerable: true, configurable: true });
}

export function parseXML(xml) {
  return new FastXmlParser(xml).parse();
}

const ENTITIES = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const ENTITY = /&(?:#x([0-9a-fA-F]{1,6})|#(\d{1,7})|([a-zA-Z][a-zA-Z0-9]{0,30}));/g;
function decodeEntities(s) {
  if (s.indexOf('&') === -1) return s;
  return s.replace(ENTITY, (_, hex, dec, named) => {
    if (hex) return String.fromCharCode(parseInt(hex, 16));
    if (dec) return String.fromCharCode(parseInt(dec, 10));
    return ENTITIES[named] ?? '';
  });
}

// " \t\r\n"
const isSpace = (c) => c === 32 || c === 9 || c === 13 || c === 10;

class FastXmlParser {
  constructor(x) {
    this.x = x.indexOf('\r') === -1 ? x : x.replace(/\r\n?/g, '\n');
    this.i = 0;
    this.z = this.x.length;
    this.tag = '';
  }

  parse() {
    const z = this.z;
    while (this.i < z) {
      this.trim();
      if (this.i >= z) break;
      if (this.x.startsWith('<?', this.i)) {
        this.readTo('?>');
        this.trim();
      } else if (this.x.startsWith('<!--', this.i)) {
        this.readTo('-->');
        this.trim();
      } else if (this.x.slice(this.i, this.i + 9).toLowerCase() === '<!doctype') {
        this.skipDoctype();
        this.trim();
      } else if (this.x.charCodeAt(this.i) === 60) {
        const value = this.parseTag();
        return { [this.tag]: value };
      } else {
        throw new Error('@aws-sdk XML parse error: unexpected content.');
      }
    }
    throw new Error('@aws-sdk XML parse error: no root element.');
  }

  readTo(stop) {
    const at = this.x.indexOf(stop, this.i);
    if (at === -1) throw new Error(`@aws-sdk XML parse error: expected "${stop}" not found.`);
    const result = this.x.slice(this.i, at);
    this.i = at + stop.length;
    return result;
  }

  trim() {
    const { x, z } = this;
    let i = this.i;
    while (i < z && isSpace(x.charCodeAt(i))) ++i;
    this.i = i;
  }

  readAttrValue() {
    const quote = this.x[this.i];
    ++this.i;
    let end = quote === undefined ? -1 : this.x.indexOf(quote, this.i);
    if (end === -1) end = this.z;
    const value = this.x.slice(this.i, end);
    this.i = end + 1;
    return decodeEntities(value);
  }

  /** Parses the element at this.i; returns its value and leaves its name in this.tag. */
  parseTag() {
    const x = this.x;
    const z = this.z;
    let i = ++this.i;
    // tag name: up to one of " \t\r\n>/"
    while (i < z) {
      const c = x.charCodeAt(i);
      if (isSpace(c) || c === 62 || c === 47) break;
      ++i;
    }
    const tag = x.slice(this.i, i);
    this.i = i;
    let attrs;
    while (this.i < z) {
      this.trim();
      const c0 = x.charCodeAt(this.i);
      if (c0 === 62 || c0 === 47) break;
      // attribute name: up to one of "= \t\r\n>/?"
      let j = this.i;
      while (j < z) {
        const c = x.charCodeAt(j);
        if (c === 61 || isSpace(c) || c === 62 || c === 47 || c === 63) break;
        ++j;
      }
      const name = x.slice(this.i, j);
      this.i = j;
      this.trim();
      if (x.charCodeAt(this.i) !== 61) break;
      ++this.i;
      this.trim();
      attrs ??= {};
      if (name === '__proto__') writeKey(attrs);
      attrs[name] = this.readAttrValue();
    }
    if (this.i >= z) throw new Error('@aws-sdk XML parse error: unexpected end of input.');
    if (x.charCodeAt(this.i) === 47) {
      ++this.i;
      if (this.i >= z || x.charCodeAt(this.i) !== 62) throw new Error('@aws-sdk XML parse error: expected > at the end of self-closing tag.');
      ++this.i;
      this.tag = tag;
      return attrs ?? '';
    }
    if (x.charCodeAt(this.i) !== 62) throw new Error('@aws-sdk XML parse error: expected > at the end of opening tag.');
    ++this.i;
    // Text parts: `all` (every part joined) matters only while the element has no attributes and no
    // element child; `mixed` joins the parts that are not whitespace-with-a-newline, for "#text".
    let hasText = false;
    let all = '';
    let mixed;
    let obj;
    while (this.i < z) {
      if (x.charCodeAt(this.i) === 60) {
        const c1 = x.charCodeAt(this.i + 1);
        if (c1 === 47) break; // "</"
        if (c1 === 33 && x.startsWith('<!--', this.i)) this.readTo('-->');
        else if (c1 === 33 && x.startsWith('<![CDATA[', this.i)) {
          this.i += 9;
          const text = this.readTo(']]>');
          hasText = true;
          if (obj === undefined && attrs === undefined) all += text;
          if (!(text.trim() === '' && text.includes('\n'))) mixed = mixed === undefined ? text : mixed + text;
        } else if (c1 === 63) this.readTo('?>');
        else {
          const value = this.parseTag();
          const childTag = this.tag;
          obj ??= {};
          if (childTag === '__proto__') writeKey(obj);
          if (childTag in obj) {
            const prev = obj[childTag];
            if (Array.isArray(prev)) prev.push(value);
            else obj[childTag] = [prev, value];
          } else {
            obj[childTag] = value;
          }
        }
      } else {
        let end = x.indexOf('<', this.i);
        if (end === -1) end = z;
        hasText = true;
        // Whitespace with a newline (indentation between tags) is skipped in mixed content: decide
        // that on the raw characters when there is no entity, without making a string.
        let k = this.i;
        let newline = false;
        for (; k < end; k++) {
          const c = x.charCodeAt(k);
          if (c === 10) newline = true;
          else if (!(c === 32 || c === 9 || c === 13 || c === 11 || c === 12)) break;
        }
        if (k === end) {
          // ASCII whitespace only (so no entity, and trim() would make it empty)
          if (obj === undefined && attrs === undefined) all += x.slice(this.i, end);
          if (!newline) mixed = mixed === undefined ? x.slice(this.i, end) : mixed + x.slice(this.i, end);
        } else {
          const text = decodeEntities(x.slice(this.i, end));
          if (obj === undefined && attrs === undefined) all += text;
          if (!(text.trim() === '' && text.includes('\n'))) mixed = mixed === undefined ? text : mixed + text;
        }
        this.i = end;
      }
    }
    if (!x.startsWith('</', this.i)) throw new Error(`@aws-sdk XML parse error: missing closing tag </${tag}>.`);
    this.i += 2;
    const closeTag = this.readTo('>').trim();
    if (closeTag !== tag) throw new Error(`@aws-sdk XML parse error: mismatched tags <${tag}> and </${closeTag}>.`);
    this.tag = tag;
    if (attrs === undefined && obj === undefined) {
      if (!hasText) return '';
      if (all.trim() === '' && all.includes('\n')) return '';
      return all;
    }
    // "#text" first, then the children, then the attributes (the original's key order).
    let out = obj ?? {};
    if (mixed !== undefined) {
      out = { '#text': mixed };
      if (obj !== undefined) {
        for (const k of Object.keys(obj)) {
          if (k === '__proto__') writeKey(out);
          out[k] = obj[k];
        }
      }
    }
    if (attrs !== undefined) {
      for (const k of Object.keys(attrs)) {
        if (k === '__proto__') writeKey(out);
        out[k] = attrs[k];
      }
    }
    return out;
  }

  skipDoctype() {
    this.i += 9;
    let depth = 0;
    while (this.i < this.z) {
      const c = this.x[this.i];
      if (c === '[') ++depth;
      else if (c === ']') --depth;
      else if (c === '>' && depth === 0) {
        ++this.i;
        return;
      }
      ++this.i;
    }
    throw new Error('@aws-sdk XML parse error: unclosed DOCTYPE.');
  }
}
