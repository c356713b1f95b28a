// The bundle replaces the AWS SDK's XML parser with scripts/bundle-overrides/xml-parser.js (faster).
// It must give the same result, and the same error, as the SDK's own parser for every input.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { ROOT } from '../helpers/run.js';

type Parse = (xml: string) => unknown;

async function parsers(): Promise<{ orig: Parse; fast: Parse }> {
  const req = createRequire(join(ROOT, 'node_modules/@aws-sdk/core/package.json'));
  const dir = join(req.resolve('@aws-sdk/xml-builder'), '../../dist-es/xml-parser.js');
  // dist-es is ESM without "type": "module" next to it: load its text as a module.
  const orig = (await import(`data:text/javascript,${encodeURIComponent(readFileSync(dir, 'utf8'))}`)) as { parseXML: Parse };
  const fast = (await import(pathToFileURL(join(ROOT, 'scripts/bundle-overrides/xml-parser.js')).href)) as { parseXML: Parse };
  return { orig: orig.parseXML, fast: fast.parseXML };
}

function outcome(parse: Parse, xml: string): { ok: unknown } | { error: string } {
  try {
    return { ok: parse(xml) };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

/** Same value with the same key order (JSON keeps order), and same __proto__ own keys. */
function same(a: unknown, b: unknown, xml: string) {
  assert.deepStrictEqual(b, a, `input: ${JSON.stringify(xml.slice(0, 300))}`);
  assert.equal(JSON.stringify(b), JSON.stringify(a), `key order, input: ${JSON.stringify(xml.slice(0, 300))}`);
}

const CASES = [
  '<?xml version="1.0" encoding="UTF-8"?>\n<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">\n  <requestId>r-1</requestId>\n  <reservationSet>\n    <item>\n      <reservationId>r-0a</reservationId>\n      <instancesSet>\n        <item><instanceId>i-1</instanceId><tagSet><item><key>Name</key><value>a &amp; b &lt;c&gt; &#65;&#x42; &quot;q&quot; &apos;</value></item></tagSet></item>\n        <item><instanceId>i-2</instanceId><tagSet/></item>\n      </instancesSet>\n    </item>\n  </reservationSet>\n</DescribeInstancesResponse>',
  '<Response><Errors><Error><Code>InvalidInstanceID.NotFound</Code><Message>The instance ID \'i-1\' does not exist</Message></Error></Errors><RequestID>x</RequestID></Response>',
  '<?xml version="1.0"?>\r\n<ErrorResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><Error><Type>Sender</Type><Code>NoSuchHostedZone</Code></Error></ErrorResponse>',
  '<a x="1" y=\'2\' __proto__="p"><b/><c z="3"/><d>t</d><d>u</d><d>v</d></a>',
  '<a>text <b>x</b> more<![CDATA[ <raw> &amp; ]]> end</a>',
  '<a>\n  <!-- comment -->\n  <?pi x?>\n  <b>1</b>\n</a>',
  '<a>  </a>', '<a>\n</a>', '<a> \n x \n </a>', '<a>&#10;</a>', '<a><b/>&#10;<c/></a>', '<a>\u00a0\n</a>', '<a><b/>\u00a0\n<c/></a>',
  '<a><toString>1</toString><constructor>2</constructor><__proto__>3</__proto__><__proto__>4</__proto__></a>',
  '<a>&unknown; &amp &#xZZ; &#1234567;</a>', '<a b="&lt;&#x41;"/>', '<!DOCTYPE a [<!ENTITY x "y">]><a>1</a>', '<!doctype a><a/>',
  '<a><![CDATA[\n]]></a>', '<a>x<![CDATA[]]></a>', '<a><b>1</b>tail</a>', '<a k="v">only text</a>', '<a k="v"></a>', '<a k="v">\n</a>',
  // errors
  '', '   ', 'text', '<a>', '<a></b>', '<a><b></a>', '<a', '<a x="1"', '<a x=>', '<a/x>', '<a x="1"/ >', '<?xml', '<!--', '<!DOCTYPE a [', '<a><!-- x', '<a><![CDATA[ x</a>',
  '<a b c="1">x</a>', '<a b = "1" >x</a>', '<a\tb="1"\n/>', '<a></a >', '<a>x</ a>',
];

test('the bundled XML parser matches the SDK parser on fixed cases', async () => {
  const { orig, fast } = await parsers();
  for (const xml of CASES) {
    const a = outcome(orig, xml);
    const b = outcome(fast, xml);
    same(a, b, xml);
  }
});

test('the bundled XML parser matches the SDK parser on generated and damaged documents', async () => {
  const { orig, fast } = await parsers();
  let seed = 12345;
  const rnd = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const pick = <T>(xs: T[]) => xs[rnd(xs.length)];
  const names = ['a', 'b', 'item', 'key', 'value', '__proto__', 'toString', 'x:y', 'Tag'];
  const texts = ['', ' ', '\n  ', 'v', 'a&amp;b', '&#10;', '&lt;', '\u00a0', ' x ', '\r\n', '&bogus;', '<![CDATA[c]]>', '<!--c-->', '<?p?>', '\t'];
  const gen = (depth: number): string => {
    const name = pick(names);
    const attrs = rnd(4) === 0 ? ` ${pick(names)}="${pick(['1', '&amp;', ''])}"` : '';
    if (depth > 3 || rnd(5) === 0) return rnd(2) ? `<${name}${attrs}/>` : `<${name}${attrs}>${pick(texts)}</${name}>`;
    let inner = '';
    for (let i = rnd(5); i > 0; i--) inner += rnd(3) === 0 ? pick(texts) : gen(depth + 1);
    return `<${name}${attrs}>${pick(texts)}${inner}</${name}>`;
  };
  for (let n = 0; n < 3000; n++) {
    let xml = (rnd(3) === 0 ? '<?xml version="1.0"?>\n' : '') + gen(0);
    if (rnd(4) === 0) {
      const at = rnd(xml.length + 1);
      xml = rnd(2) ? xml.slice(0, at) : xml.slice(0, at) + pick(['<', '>', '/', '"', '=', ' ', '&', '<!--', ']]>']) + xml.slice(at);
    }
    same(outcome(orig, xml), outcome(fast, xml), xml);
  }
});
