// The Route 53 SDK behind `Dns`. The SDK is imported inside sdkDns, never at load time.
import type { Route53Client } from '@aws-sdk/client-route-53';
import type { AwsContext } from './aws.js';
import type { Dns, DnsRecord, HostedZone, RecordType } from './dns.js';
import { bareId, callerReference, checkDnsName, nameSuffixes, normalizeName, pickZone, pointsAt } from './dns-names.js';
import { awsErrorCode, fromAwsError } from './errors.js';
import { pollUntil } from './wait.js';

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
