// Route 53 REST-XML API (/2013-04-01/...): hosted zones, record sets, changes. This file routes requests
// and spells errors; the operations are in route53/ (zones.ts, records.ts, shared.ts).
import { ApiError } from './errors.js';
import type { Sandbox } from './world.js';
import { esc } from './xml.js';
import { R53_NS, type R53Reply } from './route53/shared.js';
import { createHostedZone, deleteHostedZone, getChange, getHostedZone, listHostedZones, listHostedZonesByName } from './route53/zones.js';
import { changeRecordSets, listRecordSets } from './route53/records.js';

export { normName, R53_NS, type R53Reply } from './route53/shared.js';

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
