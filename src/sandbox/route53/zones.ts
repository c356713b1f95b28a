// Hosted zones: CreateHostedZone, ListHostedZones(ByName), GetHostedZone, DeleteHostedZone; and GetChange.
import { ApiError } from '../errors.js';
import { r53Id } from '../ids.js';
import type { Zone } from '../state.js';
import type { Sandbox } from '../world.js';
import { child, text } from '../xml.js';
import { changeXml, cmp, doc, getZone, maxItems, newChange, normName, outName, parseBody, settleChange, sortKey, zoneXml, type R53Reply } from './shared.js';

export function createHostedZone(s: Sandbox, body: Buffer): R53Reply {
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

export function listHostedZonesByName(s: Sandbox, q: URLSearchParams): R53Reply {
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

export function listHostedZones(s: Sandbox, q: URLSearchParams): R53Reply {
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

export function getHostedZone(s: Sandbox, id: string): R53Reply {
  const z = getZone(s, id);
  return { status: 200, body: doc('GetHostedZoneResponse', { HostedZone: zoneXml(z), DelegationSet: { NameServers: { NameServer: z.nameServers } } }) };
}

export function deleteHostedZone(s: Sandbox, id: string): R53Reply {
  const z = getZone(s, id);
  if (z.records.some((r) => !((r.type === 'SOA' || r.type === 'NS') && r.name === z.name))) {
    throw new ApiError('HostedZoneNotEmpty', 'The specified hosted zone contains non-required resource record sets and so cannot be deleted.');
  }
  delete s.world.zones[id];
  const c = newChange(s);
  s.changed();
  return { status: 200, body: doc('DeleteHostedZoneResponse', { ChangeInfo: changeXml(c) }) };
}

export function getChange(s: Sandbox, id: string): R53Reply {
  const c = s.world.changes[id];
  if (!c) throw new ApiError('NoSuchChange', `A change with the specified change ID does not exist.`, 404);
  return { status: 200, body: doc('GetChangeResponse', { ChangeInfo: changeXml(settleChange(s, c)) }) };
}
