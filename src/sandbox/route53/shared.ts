// What the Route 53 operations share: names as Route 53 spells and orders them, the XML of zones and
// changes, change ids and their PENDING -> INSYNC, request bodies, MaxItems.
import { ApiError } from '../errors.js';
import { r53Id } from '../ids.js';
import type { Change, Zone } from '../state.js';
import type { Sandbox } from '../world.js';
import { parseXml, toXml, xmlDoc, type XmlNode, type XmlObject } from '../xml.js';

export const R53_NS = 'https://route53.amazonaws.com/doc/2013-04-01/';
export const TYPES = new Set(['A', 'AAAA', 'CAA', 'CNAME', 'DS', 'MX', 'NAPTR', 'NS', 'PTR', 'SOA', 'SPF', 'SRV', 'TXT']);

export interface R53Reply { status: number; body: string; headers?: Record<string, string> }

/** Lower-case with a trailing dot; `\052` is Route 53's spelling of `*`. */
export function normName(n: string): string {
  let s = n.trim().toLowerCase().replace(/\\052/g, '*');
  if (!s.endsWith('.')) s += '.';
  return s;
}
export const outName = (n: string) => n.replace(/\*/g, '\\052');
/** Route 53 orders names by their labels reversed (com.example.www). */
export const sortKey = (n: string) => n.split('.').filter(Boolean).reverse().join('.');
export const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

const zoneNotFound = (id: string) => new ApiError('NoSuchHostedZone', `No hosted zone found with ID: ${id}`, 404);

export function zoneXml(z: Zone): XmlObject {
  return {
    Id: `/hostedzone/${z.id}`, Name: outName(z.name), CallerReference: z.callerReference,
    Config: { Comment: z.comment, PrivateZone: z.privateZone }, ResourceRecordSetCount: z.records.length,
  };
}

export function changeXml(c: Change): XmlObject {
  return { Id: `/change/${c.id}`, Status: c.status, SubmittedAt: new Date(c.submittedAt), Comment: c.comment };
}

export const doc = (root: string, body: XmlObject) => xmlDoc(root, R53_NS, toXml(body, false));

export function newChange(s: Sandbox, comment?: string): Change {
  const c: Change = { id: r53Id('C'), submittedAt: s.now(), status: 'PENDING', comment };
  s.world.changes[c.id] = c;
  return c;
}

/** PENDING -> INSYNC after the configured delay, unless a change-pending fault holds it. */
export function settleChange(s: Sandbox, c: Change): Change {
  if (c.status === 'PENDING' && s.now() >= c.submittedAt + s.delays.changeInsync && !s.faults.forChange()) {
    c.status = 'INSYNC';
    s.changed();
  }
  return c;
}

export function parseBody(body: Buffer, root: string): XmlNode {
  let n: XmlNode;
  try { n = parseXml(body.toString('utf8')); } catch (e) { throw new ApiError('InvalidInput', `Could not parse the request body: ${(e as Error).message}`); }
  if (n.name !== root) throw new ApiError('InvalidInput', `Expected a ${root} document, got ${n.name}`);
  return n;
}

export function maxItems(q: URLSearchParams, def: number): number {
  const v = q.get('maxitems');
  if (v === null) return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new ApiError('InvalidInput', `1 validation error detected: Value '${v}' at 'maxItems' failed to satisfy constraint`);
  return Math.min(n, def);
}

export function getZone(s: Sandbox, id: string): Zone {
  const z = s.world.zones[id];
  if (!z) throw zoneNotFound(id);
  return z;
}
