// Record sets: ChangeResourceRecordSets (all or nothing, every message collected as Route 53 does) and
// ListResourceRecordSets.
import { ApiError } from '../errors.js';
import type { RecordSet } from '../state.js';
import type { Sandbox } from '../world.js';
import { child, children, text, type XmlNode, type XmlObject } from '../xml.js';
import { MAX_CHANGES_PER_BATCH, MAX_VALUE_CHARS_PER_BATCH } from '../limits.js';
import { changeXml, cmp, doc, getZone, maxItems, newChange, normName, outName, parseBody, sortKey, TYPES, type R53Reply } from './shared.js';

function recordXml(r: RecordSet): XmlObject {
  return {
    Name: outName(r.name), Type: r.type, SetIdentifier: r.setIdentifier, Weight: r.weight,
    AliasTarget: r.alias ? { HostedZoneId: r.alias.hostedZoneId, DNSName: r.alias.dnsName, EvaluateTargetHealth: r.alias.evaluateTargetHealth } : undefined,
    TTL: r.alias ? undefined : r.ttl,
    ResourceRecords: r.alias ? undefined : { ResourceRecord: r.values.map((v) => ({ Value: v })) },
  };
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

export function changeRecordSets(s: Sandbox, id: string, body: Buffer): R53Reply {
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

export function listRecordSets(s: Sandbox, id: string, q: URLSearchParams): R53Reply {
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
