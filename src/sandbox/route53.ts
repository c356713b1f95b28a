// Route 53 REST-XML API (/2013-04-01/...): hosted zones, record sets, changes.
import { ApiError } from './errors.js';
import { r53Id } from './ids.js';
import type { Change, RecordSet, Zone } from './state.js';
import type { Sandbox } from './world.js';
import { child, children, parseXml, text, toXml, xmlDoc, esc, type XmlNode, type XmlObject } from './xml.js';
import { MAX_CHANGES_PER_BATCH, MAX_VALUE_CHARS_PER_BATCH } from './limits.js';

export const R53_NS = 'https://route53.amazonaws.com/doc/2013-04-01/';
const TYPES = new Set(['A', 'AAAA', 'CAA', 'CNAME', 'DS', 'MX', 'NAPTR', 'NS', 'PTR', 'SOA', 'SPF', 'SRV', 'TXT']);

export interface R53Reply { status: number; body: string; headers?: Record<string, string> }

/** Lower-case with a trailing dot; `\052` is Route 53's spelling of `*`. */
export function normName(n: string): string {
  let s = n.trim().toLowerCase().replace(/\\052/g, '*');
  if (!s.endsWith('.')) s += '.';
  return s;
}
const outName = (n: string) => n.replace(/\*/g, '\\052');
/** Route 53 orders names by their labels reversed (com.example.www). */
const sortKey = (n: string) => n.split('.').filter(Boolean).reverse().join('.');
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

const zoneNotFound = (id: string) => new ApiError('NoSuchHostedZone', `No hosted zone found with ID: ${id}`, 404);

function zoneXml(z: Zone): XmlObject {
  return {
    Id: `/hostedzone/${z.id}`, Name: outName(z.name), CallerReference: z.callerReference,
    Config: { Comment: z.comment, PrivateZone: z.privateZone }, ResourceRecordSetCount: z.records.length,
  };
}

function changeXml(c: Change): XmlObject {
  return { Id: `/change/${c.id}`, Status: c.status, SubmittedAt: new Date(c.submittedAt), Comment: c.comment };
}

function recordXml(r: RecordSet): XmlObject {
  return {
    Name: outName(r.name), Type: r.type, SetIdentifier: r.setIdentifier, Weight: r.weight,
    AliasTarget: r.alias ? { HostedZoneId: r.alias.hostedZoneId, DNSName: r.alias.dnsName, EvaluateTargetHealth: r.alias.evaluateTargetHealth } : undefined,
    TTL: r.alias ? undefined : r.ttl,
    ResourceRecords: r.alias ? undefined : { ResourceRecord: r.values.map((v) => ({ Value: v })) },
  };
}

const doc = (root: string, body: XmlObject) => xmlDoc(root, R53_NS, toXml(body, false));

function newChange(s: Sandbox, comment?: string): Change {
  const c: Change = { id: r53Id('C'), submittedAt: s.now(), status: 'PENDING', comment };
  s.world.changes[c.id] = c;
  return c;
}

/** PENDING -> INSYNC after the configured delay, unless a change-pending fault holds it. */
function settleChange(s: Sandbox, c: Change): Change {
  if (c.status === 'PENDING' && s.now() >= c.submittedAt + s.delays.changeInsync && !s.faults.forChange()) {
    c.status = 'INSYNC';
    s.changed();
  }
  return c;
}

function parseBody(body: Buffer, root: string): XmlNode {
  let n: XmlNode;
  try { n = parseXml(body.toString('utf8')); } catch (e) { throw new ApiError('InvalidInput', `Could not parse the request body: ${(e as Error).message}`); }
  if (n.name !== root) throw new ApiError('InvalidInput', `Expected a ${root} document, got ${n.name}`);
  return n;
}

function createHostedZone(s: Sandbox, body: Buffer): R53Reply {
  const req = parseBody(body, 'CreateHostedZoneRequest');
  const rawName = text(req, 'Name');
  const ref = text(req, 'CallerReference');
  if (!rawName) throw new ApiError('InvalidInput', '1 validation error detected: Value null at \'name\' failed to satisfy constraint: Member must not be null');
  if (!ref) throw new ApiError('InvalidInput', '1 validation error detected: Value null at \'callerReference\' failed to satisfy constraint: Member must not be null');
  const name = normName(rawName);
  if (!/^([a-z0-9*_]([a-z0-9_-]*[a-z0-9_])?\.)+$/.test(name)) throw new ApiError('InvalidDomainName', `${rawName} is not a valid domain name.`);
  if (Object.values(s.world.zones).some((z) => z.callerReference === ref)) {
    throw new ApiError('HostedZoneAlreadyExists', `A hosted zone has already been created with the specified caller reference.`, 409);
  }
  const cfg = child(req, 'HostedZoneConfig');
  const id = r53Id('Z');
  const n = Math.floor(Math.random() * 2000);
  const nameServers = [`ns-${n}.awsdns-${n % 64}.org`, `ns-${(n + 517) % 2048}.awsdns-${(n + 1) % 64}.co.uk`, `ns-${(n + 1031) % 2048}.awsdns-${(n + 2) % 64}.com`, `ns-${(n + 1549) % 2048}.awsdns-${(n + 3) % 64}.net`];
  const z: Zone = {
    id, name, callerReference: ref, comment: text(cfg, 'Comment'), privateZone: text(cfg, 'PrivateZone') === 'true', nameServers, createdAt: s.now(),
    records: [
      { name, type: 'NS', ttl: 172800, values: nameServers.map((x) => x + '.') },
      { name, type: 'SOA', ttl: 900, values: [`${nameServers[0]}. awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400`] },
    ],
  };
  s.world.zones[id] = z;
  const c = newChange(s);
  s.changed();
  return {
    status: 201, headers: { Location: `https://route53.amazonaws.com/2013-04-01/hostedzone/${id}` },
    body: doc('CreateHostedZoneResponse', { HostedZone: zoneXml(z), ChangeInfo: changeXml(c), DelegationSet: { NameServers: { NameServer: nameServers } } }),
  };
}

function maxItems(q: URLSearchParams, def: number): number {
  const v = q.get('maxitems');
  if (v === null) return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new ApiError('InvalidInput', `1 validation error detected: Value '${v}' at 'maxItems' failed to satisfy constraint`);
  return Math.min(n, def);
}

function listHostedZonesByName(s: Sandbox, q: URLSearchParams): R53Reply {
  const max = maxItems(q, 100);
  const dnsName = q.get('dnsname');
  const startId = q.get('hostedzoneid');
  if (startId && !dnsName) throw new ApiError('InvalidInput', 'The input is not valid: if you specify hostedzoneid you must also specify dnsname');
  const zones = Object.values(s.world.zones).sort((a, b) => cmp(sortKey(a.name), sortKey(b.name)) || cmp(a.id, b.id));
  let start = 0;
  if (dnsName) {
    const key = sortKey(normName(dnsName));
    start = zones.findIndex((z) => { const c = cmp(sortKey(z.name), key); return c > 0 || (c === 0 && (!startId || z.id >= startId)); });
    if (start < 0) start = zones.length;
  }
  const page = zones.slice(start, start + max);
  const next = zones[start + max];
  return {
    status: 200,
    body: doc('ListHostedZonesByNameResponse', {
      HostedZones: { HostedZone: page.map(zoneXml) },
      DNSName: dnsName ? outName(normName(dnsName)) : undefined, HostedZoneId: startId ?? undefined,
      IsTruncated: !!next, NextDNSName: next ? outName(next.name) : undefined, NextHostedZoneId: next?.id, MaxItems: max,
    }),
  };
}

function listHostedZones(s: Sandbox, q: URLSearchParams): R53Reply {
  const max = maxItems(q, 100);
  const zones = Object.values(s.world.zones).sort((a, b) => a.createdAt - b.createdAt || cmp(a.id, b.id));
  const marker = q.get('marker');
  let start = 0;
  if (marker) { start = zones.findIndex((z) => z.id === marker); if (start < 0) throw new ApiError('InvalidInput', `The marker ${marker} is not valid`); }
  const page = zones.slice(start, start + max);
  const next = zones[start + max];
  return {
    status: 200,
    body: doc('ListHostedZonesResponse', { HostedZones: { HostedZone: page.map(zoneXml) }, Marker: marker ?? '', IsTruncated: !!next, NextMarker: next?.id, MaxItems: max }),
  };
}

function getZone(s: Sandbox, id: string): Zone {
  const z = s.world.zones[id];
  if (!z) throw zoneNotFound(id);
  return z;
}

function getHostedZone(s: Sandbox, id: string): R53Reply {
  const z = getZone(s, id);
  return { status: 200, body: doc('GetHostedZoneResponse', { HostedZone: zoneXml(z), DelegationSet: { NameServers: { NameServer: z.nameServers } } }) };
}

function deleteHostedZone(s: Sandbox, id: string): R53Reply {
  const z = getZone(s, id);
  if (z.records.some((r) => !((r.type === 'SOA' || r.type === 'NS') && r.name === z.name))) {
    throw new ApiError('HostedZoneNotEmpty', 'The specified hosted zone contains non-required resource record sets and so cannot be deleted.');
  }
  delete s.world.zones[id];
  const c = newChange(s);
  s.changed();
  return { status: 200, body: doc('DeleteHostedZoneResponse', { ChangeInfo: changeXml(c) }) };
}

function validValue(type: string, v: string): string | undefined {
  if (type === 'A' && !/^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/.test(v)) return `ARRDATAIllegalIPv4Address (Value is not a valid IPv4 address) encountered with '${v}'`;
  if (type === 'AAAA' && !/^[0-9a-fA-F:]+$/.test(v)) return `AAAARRDATAIllegalIPv6Address (Value is not a valid IPv6 address) encountered with '${v}'`;
  if ((type === 'CNAME' || type === 'NS' || type === 'PTR') && !/^[A-Za-z0-9_.*-]+\.?$/.test(v)) return `Invalid Resource Record: 'FATAL problem: DomainLabelEmpty (Domain label is empty) encountered with '${v}''`;
  return undefined;
}

const sameSet = (a: RecordSet, b: { name: string; type: string; setIdentifier?: string }) => a.name === b.name && a.type === b.type && a.setIdentifier === b.setIdentifier;
const describeSet = (r: { name: string; type: string; setIdentifier?: string }) =>
  `[name='${outName(r.name)}', type='${r.type}'${r.setIdentifier ? `, set-identifier='${r.setIdentifier}'` : ''}]`;

function parseRecordSet(n: XmlNode | undefined, action: string): RecordSet {
  if (!n) throw new ApiError('InvalidInput', 'Invalid request: Missing field \'ResourceRecordSet\'');
  const name = normName(text(n, 'Name') ?? '');
  const type = (text(n, 'Type') ?? '').toUpperCase();
  if (!TYPES.has(type)) throw new ApiError('InvalidInput', `1 validation error detected: Value '${type}' at 'changeBatch.changes.1.member.resourceRecordSet.type' failed to satisfy constraint: Member must satisfy enum value set: [SOA, A, TXT, NS, CNAME, MX, NAPTR, PTR, SRV, SPF, AAAA, CAA, DS]`);
  const ttl = text(n, 'TTL');
  const values = children(child(n, 'ResourceRecords'), 'ResourceRecord').map((r) => text(r, 'Value') ?? '');
  const alias = child(n, 'AliasTarget');
  const setIdentifier = text(n, 'SetIdentifier');
  const weight = text(n, 'Weight');
  const rs: RecordSet = { name, type, values, setIdentifier, weight: weight !== undefined ? Number(weight) : undefined };
  if (alias) {
    rs.alias = { hostedZoneId: text(alias, 'HostedZoneId') ?? '', dnsName: normName(text(alias, 'DNSName') ?? ''), evaluateTargetHealth: text(alias, 'EvaluateTargetHealth') === 'true' };
  } else {
    if (ttl === undefined || values.length === 0) {
      throw new ApiError('InvalidInput', `Invalid request: Expected exactly one of [AliasTarget, all of [TTL, and ResourceRecords], or TrafficPolicyInstanceId], but found none in Change with [Action=${action}, Name=${outName(name)}, Type=${type}, SetIdentifier=${setIdentifier ?? 'null'}]`);
    }
    rs.ttl = Number(ttl);
    if (!Number.isInteger(rs.ttl) || rs.ttl < 0 || rs.ttl > 2147483647) throw new ApiError('InvalidInput', `Invalid TTL ${ttl}`);
  }
  return rs;
}

function changeRecordSets(s: Sandbox, id: string, body: Buffer): R53Reply {
  const z = getZone(s, id);
  const req = parseBody(body, 'ChangeResourceRecordSetsRequest');
  const batch = child(req, 'ChangeBatch');
  const changes = children(child(batch, 'Changes'), 'Change');
  if (changes.length === 0) throw new ApiError('InvalidInput', '1 validation error detected: Value \'[]\' at \'changeBatch.changes\' failed to satisfy constraint: Member must have length greater than or equal to 1');
  if (changes.length > MAX_CHANGES_PER_BATCH) throw new ApiError('InvalidChangeBatch', `Number of records limit of ${MAX_CHANGES_PER_BATCH} exceeded.`);
  const valueChars = changes.reduce((n, ch) => n + children(child(child(ch, 'ResourceRecordSet'), 'ResourceRecords'), 'ResourceRecord').reduce((m, rr) => m + (text(rr, 'Value') ?? '').length, 0), 0);
  if (valueChars > MAX_VALUE_CHARS_PER_BATCH) throw new ApiError('InvalidChangeBatch', `Number of characters in values limit of ${MAX_VALUE_CHARS_PER_BATCH} exceeded.`);
  // Applied to a copy, all or nothing, collecting every message like Route 53 does.
  const records = z.records.map((r) => ({ ...r, values: [...r.values] }));
  const errors: string[] = [];
  for (const ch of changes) {
    const action = text(ch, 'Action') ?? '';
    if (!['CREATE', 'DELETE', 'UPSERT'].includes(action)) throw new ApiError('InvalidInput', `1 validation error detected: Value '${action}' at 'changeBatch.changes.1.member.action' failed to satisfy constraint: Member must satisfy enum value set: [CREATE, DELETE, UPSERT]`);
    const rs = parseRecordSet(child(ch, 'ResourceRecordSet'), action);
    if (rs.name !== z.name && !rs.name.endsWith('.' + z.name)) { errors.push(`RRSet with DNS name ${outName(rs.name)} is not permitted in zone ${outName(z.name)}`); continue; }
    const bad = rs.values.map((v) => validValue(rs.type, v)).find(Boolean);
    if (bad) { errors.push(bad); continue; }
    const idx = records.findIndex((r) => sameSet(r, rs));
    if (action === 'DELETE') {
      if (idx < 0) { errors.push(`Tried to delete resource record set ${describeSet(rs)} but it was not found`); continue; }
      const cur = records[idx]!;
      const same = cur.ttl === rs.ttl && cur.values.length === rs.values.length && cur.values.every((v, k) => v === rs.values[k])
        && JSON.stringify(cur.alias ?? null) === JSON.stringify(rs.alias ?? null);
      if (!same) { errors.push(`Tried to delete resource record set ${describeSet(rs)} but the values provided do not match the current values`); continue; }
      if (rs.name === z.name && (rs.type === 'SOA' || rs.type === 'NS')) { errors.push(rs.type === 'SOA' ? 'A HostedZone must contain exactly one SOA record.' : 'A HostedZone must contain at least one NS record for the zone itself.'); continue; }
      records.splice(idx, 1);
      continue;
    }
    if (action === 'CREATE' && idx >= 0) { errors.push(`Tried to create resource record set ${describeSet(rs)} but it already exists`); continue; }
    if (rs.type === 'CNAME' && rs.name === z.name) { errors.push(`RRSet of type CNAME with DNS name ${outName(rs.name)} is not permitted at apex in zone ${outName(z.name)}`); continue; }
    if (rs.type === 'CNAME' && rs.values.length > 1) { errors.push(`RRSet of type CNAME with DNS name ${outName(rs.name)} contains more than one value`); continue; }
    const conflict = records.find((r) => r.name === rs.name && r.type !== rs.type && (r.type === 'CNAME' || rs.type === 'CNAME'));
    if (conflict) {
      errors.push(`RRSet of type ${rs.type} with DNS name ${outName(rs.name)} is not permitted because a conflicting RRSet of type ${conflict.type} with the same DNS name already exists in zone ${outName(z.name)}`);
      continue;
    }
    if (idx >= 0) records[idx] = rs; else records.push(rs);
  }
  if (errors.length) throw new ApiError('InvalidChangeBatch', `[${errors.join(', ')}]`);
  records.sort((a, b) => cmp(sortKey(a.name), sortKey(b.name)) || cmp(a.type, b.type) || cmp(a.setIdentifier ?? '', b.setIdentifier ?? ''));
  z.records = records;
  const c = newChange(s, text(batch, 'Comment'));
  s.changed();
  return { status: 200, body: doc('ChangeResourceRecordSetsResponse', { ChangeInfo: changeXml(c) }) };
}

function listRecordSets(s: Sandbox, id: string, q: URLSearchParams): R53Reply {
  const z = getZone(s, id);
  const max = maxItems(q, 300);
  const startName = q.get('name');
  const startType = q.get('type');
  if (startType && !startName) throw new ApiError('InvalidInput', 'The input is not valid: StartRecordType requires StartRecordName');
  if (startType && !TYPES.has(startType)) throw new ApiError('InvalidInput', `Invalid type ${startType}`);
  let list = z.records;
  if (startName) {
    const key = sortKey(normName(startName));
    list = list.filter((r) => { const c = cmp(sortKey(r.name), key); return c > 0 || (c === 0 && (!startType || r.type >= startType)); });
  }
  const page = list.slice(0, max);
  const next = list[max];
  return {
    status: 200,
    body: doc('ListResourceRecordSetsResponse', {
      ResourceRecordSets: { ResourceRecordSet: page.map(recordXml) },
      IsTruncated: !!next, NextRecordName: next ? outName(next.name) : undefined, NextRecordType: next?.type, NextRecordIdentifier: next?.setIdentifier, MaxItems: max,
    }),
  };
}

function getChange(s: Sandbox, id: string): R53Reply {
  const c = s.world.changes[id];
  if (!c) throw new ApiError('NoSuchChange', `A change with the specified change ID does not exist.`, 404);
  return { status: 200, body: doc('GetChangeResponse', { ChangeInfo: changeXml(settleChange(s, c)) }) };
}

/** Maps method + path to an operation name (for the request log and faults) and its handler. */
export function routeRoute53(method: string, path: string): { action: string; run: (s: Sandbox, q: URLSearchParams, body: Buffer) => R53Reply } {
  const p = path.replace(/\/+$/, '');
  const seg = p.split('/').slice(2).map((x) => decodeURIComponent(x)); // after /2013-04-01
  const [a, b, c] = seg;
  if (a === 'hostedzone' && seg.length === 1) {
    if (method === 'POST') return { action: 'CreateHostedZone', run: (s, _q, body) => createHostedZone(s, body) };
    if (method === 'GET') return { action: 'ListHostedZones', run: (s, q) => listHostedZones(s, q) };
  }
  if (a === 'hostedzonesbyname' && seg.length === 1 && method === 'GET') return { action: 'ListHostedZonesByName', run: (s, q) => listHostedZonesByName(s, q) };
  if (a === 'hostedzone' && b && seg.length === 2) {
    if (method === 'GET') return { action: 'GetHostedZone', run: (s) => getHostedZone(s, b) };
    if (method === 'DELETE') return { action: 'DeleteHostedZone', run: (s) => deleteHostedZone(s, b) };
  }
  if (a === 'hostedzone' && b && c === 'rrset' && seg.length === 3) {
    if (method === 'POST') return { action: 'ChangeResourceRecordSets', run: (s, _q, body) => changeRecordSets(s, b, body) };
    if (method === 'GET') return { action: 'ListResourceRecordSets', run: (s, q) => listRecordSets(s, b, q) };
  }
  if (a === 'change' && b && seg.length === 2 && method === 'GET') return { action: 'GetChange', run: (s) => getChange(s, b) };
  return { action: 'Unknown', run: () => { throw new ApiError('UnknownOperationException', `Unknown operation ${method} ${path}`, 404); } };
}

export function route53ErrorXml(e: ApiError, requestId: string): string {
  const type = e.status >= 500 ? 'Receiver' : 'Sender';
  return `<?xml version="1.0"?>\n<ErrorResponse xmlns="${R53_NS}"><Error><Type>${type}</Type><Code>${e.code}</Code><Message>${esc(e.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
}
