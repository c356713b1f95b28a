// `Dns` in memory with Route 53's rules, for tests of the commands that use it.
import type { Dns, DnsChange, DnsRecord, HostedZone } from './dns.js';
import { bareId, checkDnsName, normalizeName, pickZone, pointsAt } from './dns-names.js';
import { fromAwsError } from './errors.js';

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
