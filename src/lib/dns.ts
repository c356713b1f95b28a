// Route 53, the little ec2term needs of it, behind a small interface (`Dns`): find the hosted zone for
// a name, UPSERT a record and wait until it is INSYNC, read a record, delete a record only while it
// still points at a given instance, create a zone. One SDK-backed implementation (sdkDns) and an
// in-memory one (memoryDns) with Route 53's rules, for tests of the commands that use it.
// No SDK import at load time: the SDK is imported inside sdkDns.
import type { Route53Client } from '@aws-sdk/client-route-53';
import type { AwsContext } from './aws.js';
import { awsErrorCode, fromAwsError, UsageError } from './errors.js';
import { pollUntil, type WaitOptions } from './wait.js';

export type RecordType = 'A' | 'CNAME';

export interface HostedZone {
  /** The bare id, e.g. "Z0123456789ABC" (no "/hostedzone/" prefix). */
  id: string;
  /** The zone's name without the trailing dot, lower case, e.g. "myterm.com". */
  name: string;
  private: boolean;
}

export interface DnsRecord {
  /** Without the trailing dot, lower case. */
  name: string;
  type: string;
  ttl?: number;
  /** As Route 53 holds them (CNAME targets may carry a trailing dot). */
  values: string[];
}

export interface DnsChange {
  /** The bare change id, e.g. "C2682N5HXP0BZ4" (no "/change/" prefix). */
  id: string;
  status: 'PENDING' | 'INSYNC' | string;
}

export interface CreatedZone extends HostedZone {
  nameServers: string[];
  change: DnsChange;
}

/** Why deleteRecordIfPointsAt did or did not delete. */
export type DeleteOutcome =
  | { deleted: true; record: DnsRecord; change: DnsChange }
  /** No A or CNAME record of that name in the zone. */
  | { deleted: false; reason: 'missing' }
  /** The record exists but points somewhere else now (another instance took the name): left alone. */
  | { deleted: false; reason: 'points-elsewhere'; record: DnsRecord };

/** Why repointRecordIfPointsAt did or did not change the record. */
export type RepointOutcome =
  | { changed: true; record: DnsRecord; change: DnsChange }
  /** It already points at the new value only. */
  | { changed: false; reason: 'current'; record: DnsRecord }
  | { changed: false; reason: 'missing' }
  | { changed: false; reason: 'points-elsewhere'; record: DnsRecord };

export interface Dns {
  /** The hosted zone whose name is the longest suffix of `name` (the name itself included); public
   * zones preferred over private ones of the same name. Undefined when no zone matches. */
  findZoneFor(name: string): Promise<HostedZone | undefined>;
  /** Creates or replaces the record (UPSERT: idempotent, safe on re-launch). Default TTL 60. */
  upsertRecord(zoneId: string, name: string, type: RecordType, value: string, ttl?: number): Promise<DnsChange>;
  /** Resolves when the change is INSYNC; TimeoutError('Route 53 change ... to be INSYNC') otherwise. */
  waitInsync(changeId: string, opts: WaitOptions): Promise<void>;
  /** The record of that name and type, or undefined. */
  getRecord(zoneId: string, name: string, type: RecordType): Promise<DnsRecord | undefined>;
  /**
   * Deletes the A or CNAME record `name` only if each of its values is one of `expectedValues`
   * (an instance's public IP and public DNS name). The DELETE carries the exact current values, so
   * Route 53 itself refuses (InvalidChangeBatch) if the record changed in between; that is reported
   * as 'points-elsewhere' or 'missing', never as an error.
   */
  deleteRecordIfPointsAt(zoneId: string, name: string, expectedValues: string[]): Promise<DeleteOutcome>;
  /**
   * Points the A record `name` at `value` only if each of its values is one of `expectedValues` (what
   * ec2term last wrote there): one change batch, DELETE with the exact current values then CREATE, so
   * Route 53 refuses if the record changed in between. A record someone repointed is left alone.
   */
  repointRecordIfPointsAt(zoneId: string, name: string, expectedValues: string[], value: string, ttl?: number): Promise<RepointOutcome>;
  /** Creates a public hosted zone and returns its id and name servers (to give to the registrar). */
  createZone(domain: string): Promise<CreatedZone>;
}

// ---------------------------------------------------------------------------------------------
// Pure helpers

const LABEL = /^(?!-)[a-z0-9_-]{1,63}(?<!-)$/;

/** Pure: "Lab.MyTerm.com." -> "lab.myterm.com". */
export function normalizeName(name: string): string {
  return name.trim().toLowerCase().replace(/\.+$/, '');
}

/** Pure: checks a DNS name (labels of letters, digits, '-', '_'; at most 253 characters). */
export function checkDnsName(name: string, what = 'DNS name'): string {
  const n = normalizeName(name);
  if (n === '' || n.length > 253 || !n.split('.').every((l) => LABEL.test(l))) {
    throw new UsageError(`bad ${what} "${name}": expected labels of letters, digits and '-' separated by dots, such as lab.example.com`);
  }
  return n;
}

/** Pure: "/hostedzone/Z123" or "Z123" -> "Z123"; "/change/C1" -> "C1". */
export function bareId(id: string): string {
  return id.replace(/^\/?(hostedzone|change)\//, '');
}

/** Pure: "a.b.c" -> ["a.b.c", "b.c", "c"] (longest first). */
export function nameSuffixes(name: string): string[] {
  const labels = normalizeName(name).split('.').filter(Boolean);
  return labels.map((_, i) => labels.slice(i).join('.'));
}

/** Pure: of these zones, the one whose name is the longest suffix of `name`; public before private. */
export function pickZone(zones: HostedZone[], name: string): HostedZone | undefined {
  const suffixes = nameSuffixes(name);
  let best: HostedZone | undefined;
  let bestRank = Infinity;
  for (const z of zones) {
    const idx = suffixes.indexOf(normalizeName(z.name));
    if (idx < 0) continue;
    const rank = idx * 2 + (z.private ? 1 : 0);
    if (rank < bestRank || (rank === bestRank && best && z.id < best.id)) {
      best = z;
      bestRank = rank;
    }
  }
  return best;
}

/** Pure: compare record values the way DNS does (case-insensitive, trailing dot ignored). */
export function sameValue(a: string, b: string): boolean {
  return normalizeName(a) === normalizeName(b);
}

/** Pure: does a record point only at the expected values (and at least one value)? */
export function pointsAt(record: DnsRecord, expectedValues: string[]): boolean {
  const expected = expectedValues.filter(Boolean);
  return record.values.length > 0 && record.values.every((v) => expected.some((e) => sameValue(v, e)));
}

/** Pure: a caller reference Route 53 accepts for CreateHostedZone (unique per call). */
export function callerReference(domain: string, now: number, random: string): string {
  return `ec2term-${normalizeName(domain)}-${now}-${random}`.slice(0, 128);
}

// ---------------------------------------------------------------------------------------------
// SDK implementation

/** A Dns backed by the Route 53 SDK client of `aws` (Route 53 is global). Requests abort on `signal`. */
export async function sdkDns(aws: Pick<AwsContext, 'route53'>, signal?: AbortSignal): Promise<Dns> {
  const sdk = await import('@aws-sdk/client-route-53');
  const client: Route53Client = await aws.route53();
  const opts = { abortSignal: signal };
  const send = async <T>(doing: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      throw fromAwsError(err, doing);
    }
  };

  async function zonesNamed(name: string): Promise<HostedZone[]> {
    const res = await send(`looking up the hosted zone for ${name}`, () =>
      client.send(new sdk.ListHostedZonesByNameCommand({ DNSName: name, MaxItems: 10 }), opts),
    );
    return (res.HostedZones ?? [])
      .map((z) => ({ id: bareId(z.Id ?? ''), name: normalizeName(z.Name ?? ''), private: Boolean(z.Config?.PrivateZone) }))
      .filter((z) => z.name === name);
  }

  async function getRecords(zoneId: string, name: string, types: string[]): Promise<DnsRecord[]> {
    const n = normalizeName(name);
    const res = await send(`reading the DNS record ${n}`, () =>
      client.send(new sdk.ListResourceRecordSetsCommand({ HostedZoneId: bareId(zoneId), StartRecordName: n, MaxItems: 10 }), opts),
    );
    return (res.ResourceRecordSets ?? [])
      .filter((r) => normalizeName(r.Name ?? '') === n && types.includes(r.Type ?? '') && !r.SetIdentifier)
      .map((r) => ({ name: n, type: r.Type ?? '', ttl: r.TTL, values: (r.ResourceRecords ?? []).map((v) => v.Value ?? '') }));
  }

  return {
    async findZoneFor(name) {
      const n = checkDnsName(name);
      const found = await Promise.all(nameSuffixes(n).map((s) => zonesNamed(s)));
      return pickZone(found.flat(), n);
    },
    async upsertRecord(zoneId, name, type, value, ttl = 60) {
      const n = checkDnsName(name);
      const res = await send(`setting the DNS record ${n}`, () =>
        client.send(
          new sdk.ChangeResourceRecordSetsCommand({
            HostedZoneId: bareId(zoneId),
            ChangeBatch: {
              Comment: 'ec2term',
              Changes: [{ Action: 'UPSERT', ResourceRecordSet: { Name: n, Type: type, TTL: ttl, ResourceRecords: [{ Value: value }] } }],
            },
          }),
          opts,
        ),
      );
      return { id: bareId(res.ChangeInfo?.Id ?? ''), status: res.ChangeInfo?.Status ?? 'PENDING' };
    },
    async waitInsync(changeId, waitOpts) {
      const id = bareId(changeId);
      await pollUntil(
        `Route 53 change ${id} to be INSYNC`,
        async () => {
          const res = await send('checking a Route 53 change', () => client.send(new sdk.GetChangeCommand({ Id: id }), opts));
          return res.ChangeInfo?.Status === 'INSYNC';
        },
        { ...waitOpts, signal: waitOpts.signal ?? signal },
      );
    },
    async getRecord(zoneId, name, type) {
      const [record] = await getRecords(zoneId, name, [type]);
      return record;
    },
    async deleteRecordIfPointsAt(zoneId, name, expectedValues) {
      const n = normalizeName(name);
      const [record] = await getRecords(zoneId, n, ['A', 'CNAME']);
      if (!record) return { deleted: false, reason: 'missing' };
      if (!pointsAt(record, expectedValues)) return { deleted: false, reason: 'points-elsewhere', record };
      try {
        const res = await client.send(
          new sdk.ChangeResourceRecordSetsCommand({
            HostedZoneId: bareId(zoneId),
            ChangeBatch: {
              Comment: 'ec2term: instance terminated',
              Changes: [
                {
                  Action: 'DELETE',
                  ResourceRecordSet: { Name: n, Type: record.type as RecordType, TTL: record.ttl, ResourceRecords: record.values.map((Value) => ({ Value })) },
                },
              ],
            },
          }),
          opts,
        );
        return { deleted: true, record, change: { id: bareId(res.ChangeInfo?.Id ?? ''), status: res.ChangeInfo?.Status ?? 'PENDING' } };
      } catch (err) {
        if (awsErrorCode(err) === 'InvalidChangeBatch') {
          // Changed under us: look again and report what is there now.
          const [now] = await getRecords(zoneId, n, ['A', 'CNAME']);
          return now ? { deleted: false, reason: 'points-elsewhere', record: now } : { deleted: false, reason: 'missing' };
        }
        throw fromAwsError(err, `deleting the DNS record ${n}`);
      }
    },
    async repointRecordIfPointsAt(zoneId, name, expectedValues, value, ttl = 60) {
      const n = checkDnsName(name);
      const [record] = await getRecords(zoneId, n, ['A']);
      if (!record) return { changed: false, reason: 'missing' };
      if (pointsAt(record, [value])) return { changed: false, reason: 'current', record };
      if (!pointsAt(record, expectedValues)) return { changed: false, reason: 'points-elsewhere', record };
      try {
        const res = await client.send(
          new sdk.ChangeResourceRecordSetsCommand({
            HostedZoneId: bareId(zoneId),
            ChangeBatch: {
              Comment: 'ec2term: instance has a new address',
              Changes: [
                { Action: 'DELETE', ResourceRecordSet: { Name: n, Type: 'A', TTL: record.ttl, ResourceRecords: record.values.map((Value) => ({ Value })) } },
                { Action: 'CREATE', ResourceRecordSet: { Name: n, Type: 'A', TTL: ttl, ResourceRecords: [{ Value: value }] } },
              ],
            },
          }),
          opts,
        );
        return { changed: true, record, change: { id: bareId(res.ChangeInfo?.Id ?? ''), status: res.ChangeInfo?.Status ?? 'PENDING' } };
      } catch (err) {
        if (awsErrorCode(err) === 'InvalidChangeBatch') {
          const [now] = await getRecords(zoneId, n, ['A']);
          return now ? { changed: false, reason: 'points-elsewhere', record: now } : { changed: false, reason: 'missing' };
        }
        throw fromAwsError(err, `updating the DNS record ${n}`);
      }
    },
    async createZone(domain) {
      const n = checkDnsName(domain, 'domain');
      const ref = callerReference(n, Date.now(), Math.random().toString(36).slice(2, 10));
      const res = await send(`creating the hosted zone ${n}`, () =>
        client.send(new sdk.CreateHostedZoneCommand({ Name: n, CallerReference: ref, HostedZoneConfig: { Comment: 'created by ec2term', PrivateZone: false } }), opts),
      );
      return {
        id: bareId(res.HostedZone?.Id ?? ''),
        name: normalizeName(res.HostedZone?.Name ?? n),
        private: false,
        nameServers: res.DelegationSet?.NameServers ?? [],
        change: { id: bareId(res.ChangeInfo?.Id ?? ''), status: res.ChangeInfo?.Status ?? 'PENDING' },
      };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// In-memory implementation (tests)

export interface MemoryDns extends Dns {
  zones: (HostedZone & { records: DnsRecord[] })[];
  /** Every mutating call, in order, e.g. "UPSERT lab.example.com A 1.2.3.4". */
  log: string[];
}

/** A Dns kept in memory with Route 53's rules (DELETE needs the exact values; changes INSYNC at once). */
export function memoryDns(zones: { id: string; name: string; private?: boolean; records?: DnsRecord[] }[] = []): MemoryDns {
  const state = zones.map((z) => ({ id: z.id, name: normalizeName(z.name), private: Boolean(z.private), records: [...(z.records ?? [])] }));
  const log: string[] = [];
  let changes = 0;
  const zone = (id: string) => {
    const z = state.find((x) => x.id === bareId(id));
    if (!z) throw fromAwsError({ name: 'NoSuchHostedZone', message: `No hosted zone found with ID: ${id}` });
    return z;
  };
  const change = (): DnsChange => ({ id: `C${++changes}`, status: 'INSYNC' });
  return {
    zones: state,
    log,
    async findZoneFor(name) {
      return pickZone(state, checkDnsName(name));
    },
    async upsertRecord(zoneId, name, type, value, ttl = 60) {
      const z = zone(zoneId);
      const n = checkDnsName(name);
      z.records = z.records.filter((r) => !(r.name === n && r.type === type));
      z.records.push({ name: n, type, ttl, values: [value] });
      log.push(`UPSERT ${n} ${type} ${value}`);
      return change();
    },
    async waitInsync() {},
    async getRecord(zoneId, name, type) {
      const n = normalizeName(name);
      return zone(zoneId).records.find((r) => r.name === n && r.type === type);
    },
    async deleteRecordIfPointsAt(zoneId, name, expectedValues) {
      const z = zone(zoneId);
      const n = normalizeName(name);
      const record = z.records.find((r) => r.name === n && (r.type === 'A' || r.type === 'CNAME'));
      if (!record) return { deleted: false, reason: 'missing' };
      if (!pointsAt(record, expectedValues)) return { deleted: false, reason: 'points-elsewhere', record };
      z.records = z.records.filter((r) => r !== record);
      log.push(`DELETE ${n} ${record.type} ${record.values.join(',')}`);
      return { deleted: true, record, change: change() };
    },
    async repointRecordIfPointsAt(zoneId, name, expectedValues, value, ttl = 60) {
      const z = zone(zoneId);
      const n = normalizeName(name);
      const record = z.records.find((r) => r.name === n && r.type === 'A');
      if (!record) return { changed: false, reason: 'missing' };
      if (pointsAt(record, [value])) return { changed: false, reason: 'current', record };
      if (!pointsAt(record, expectedValues)) return { changed: false, reason: 'points-elsewhere', record };
      z.records = [...z.records.filter((r) => r !== record), { name: n, type: 'A', ttl, values: [value] }];
      log.push(`REPOINT ${n} A ${record.values.join(',')} -> ${value}`);
      return { changed: true, record, change: change() };
    },
    async createZone(domain) {
      const n = checkDnsName(domain, 'domain');
      const id = `Z${String(state.length + 1).padStart(12, '0')}`;
      state.push({ id, name: n, private: false, records: [] });
      log.push(`CREATEZONE ${n}`);
      return { id, name: n, private: false, nameServers: ['ns-1.awsdns-01.org', 'ns-2.awsdns-02.net'], change: change() };
    },
  };
}
