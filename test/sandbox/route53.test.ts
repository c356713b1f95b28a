// Route 53 through the real SDK: zones, record changes with AWS's validation errors, listing, GetChange.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  ChangeResourceRecordSetsCommand, CreateHostedZoneCommand, DeleteHostedZoneCommand, GetChangeCommand, GetHostedZoneCommand,
  ListHostedZonesByNameCommand, ListHostedZonesCommand, ListResourceRecordSetsCommand, type Route53Client, type Change,
} from '@aws-sdk/client-route-53';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { errorOf, r53, until } from './sdk.js';

let sb: TestSandbox;
let c: Route53Client;
const rec = (Action: 'CREATE' | 'UPSERT' | 'DELETE', Name: string, Type: 'A' | 'CNAME' | 'TXT', values: string[], TTL = 60): Change =>
  ({ Action, ResourceRecordSet: { Name, Type, TTL, ResourceRecords: values.map((Value) => ({ Value })) } });

describe('sandbox Route 53', () => {
  before(async () => { sb = await startTestSandbox(); c = r53(sb); });
  after(async () => { await sb?.stop(); });

  it('creates zones with SOA/NS and four name servers; lists them by name', async () => {
    const z = await c.send(new CreateHostedZoneCommand({ Name: 'Example.COM', CallerReference: 'ref-1', HostedZoneConfig: { Comment: 'test' } }));
    assert.match(z.HostedZone!.Id!, /^\/hostedzone\/Z[A-Z0-9]+$/);
    assert.equal(z.HostedZone!.Name, 'example.com.');
    assert.equal(z.DelegationSet!.NameServers!.length, 4);
    assert.ok(z.DelegationSet!.NameServers!.every((n) => /^ns-\d+\.awsdns-\d+\.(com|net|org|co\.uk)$/.test(n)));
    assert.equal(z.ChangeInfo!.Status, 'PENDING');
    assert.match(z.Location!, /\/2013-04-01\/hostedzone\/Z/);
    const dup = await errorOf(c.send(new CreateHostedZoneCommand({ Name: 'other.com', CallerReference: 'ref-1' })));
    assert.equal(dup.name, 'HostedZoneAlreadyExists');
    await c.send(new CreateHostedZoneCommand({ Name: 'alpha.org', CallerReference: 'ref-2' }));
    await c.send(new CreateHostedZoneCommand({ Name: 'zeta.net', CallerReference: 'ref-3' }));
    const byName = await c.send(new ListHostedZonesByNameCommand({ DNSName: 'example.com' }));
    assert.equal(byName.HostedZones![0]!.Name, 'example.com.');
    const first = await c.send(new ListHostedZonesByNameCommand({ MaxItems: 1 }));
    assert.equal(first.IsTruncated, true);
    assert.equal(first.HostedZones![0]!.Name, 'example.com.', 'sorted by reversed labels: com.example < net.zeta < org.alpha');
    assert.equal(first.NextDNSName, 'zeta.net.');
    const all = await c.send(new ListHostedZonesCommand({}));
    assert.equal(all.HostedZones!.length, 3);
    const got = await c.send(new GetHostedZoneCommand({ Id: z.HostedZone!.Id }));
    assert.equal(got.HostedZone!.ResourceRecordSetCount, 2);
    const recs = await c.send(new ListResourceRecordSetsCommand({ HostedZoneId: z.HostedZone!.Id }));
    assert.deepEqual(recs.ResourceRecordSets!.map((r) => r.Type).sort(), ['NS', 'SOA']);
    assert.equal((await errorOf(c.send(new GetHostedZoneCommand({ Id: 'ZNOTTHERE0000' })))).name, 'NoSuchHostedZone');
  });

  it('changes record sets with AWS validation and PENDING -> INSYNC', async () => {
    const z = await c.send(new CreateHostedZoneCommand({ Name: 'records.test', CallerReference: 'ref-rec' }));
    const id = z.HostedZone!.Id!;
    const ch = await c.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: id, ChangeBatch: { Changes: [rec('CREATE', 'www.records.test', 'A', ['127.10.0.5'])] } }));
    assert.equal(ch.ChangeInfo!.Status, 'PENDING');
    await until(async () => (await c.send(new GetChangeCommand({ Id: ch.ChangeInfo!.Id }))).ChangeInfo!.Status === 'INSYNC', 3000, 'INSYNC');

    let e = await errorOf(c.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: id, ChangeBatch: { Changes: [rec('CREATE', 'WWW.records.test.', 'A', ['127.10.0.6'])] } })));
    assert.equal(e.name, 'InvalidChangeBatch');
    assert.match(e.message, /Tried to create resource record set \[name='www\.records\.test\.', type='A'\] but it already exists/);
    e = await errorOf(c.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: id, ChangeBatch: { Changes: [rec('DELETE', 'www.records.test', 'A', ['127.10.0.9'])] } })));
    assert.match(e.message, /Tried to delete resource record set \[name='www\.records\.test\.', type='A'\] but the values provided do not match the current values/);
    e = await errorOf(c.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: id, ChangeBatch: { Changes: [rec('DELETE', 'nope.records.test', 'A', ['1.2.3.4'])] } })));
    assert.match(e.message, /but it was not found/);
    e = await errorOf(c.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: id, ChangeBatch: { Changes: [rec('UPSERT', 'www.records.test', 'CNAME', ['x.example.com'])] } })));
    assert.match(e.message, /conflicting RRSet of type A/);
    e = await errorOf(c.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: id, ChangeBatch: { Changes: [rec('UPSERT', 'www.elsewhere.com', 'A', ['1.2.3.4'])] } })));
    assert.match(e.message, /is not permitted in zone records\.test\./);
    e = await errorOf(c.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: id, ChangeBatch: { Changes: [rec('UPSERT', 'bad.records.test', 'A', ['not-an-ip'])] } })));
    assert.equal(e.name, 'InvalidChangeBatch');

    // UPSERT is idempotent; batches are atomic
    await c.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: id, ChangeBatch: { Changes: [rec('UPSERT', 'app.records.test', 'CNAME', ['ec2-127-10-0-5.compute-1.amazonaws.com'])] } }));
    await c.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: id, ChangeBatch: { Changes: [rec('UPSERT', 'app.records.test', 'CNAME', ['ec2-127-10-0-5.compute-1.amazonaws.com'])] } }));
    e = await errorOf(c.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: id, ChangeBatch: { Changes: [rec('CREATE', 'new.records.test', 'TXT', ['"x"']), rec('CREATE', 'www.records.test', 'A', ['1.1.1.1'])] } })));
    assert.equal(e.name, 'InvalidChangeBatch');
    const list = await c.send(new ListResourceRecordSetsCommand({ HostedZoneId: id }));
    assert.deepEqual(list.ResourceRecordSets!.map((r) => `${r.Name} ${r.Type}`), ['records.test. NS', 'records.test. SOA', 'app.records.test. CNAME', 'www.records.test. A']);
    const page = await c.send(new ListResourceRecordSetsCommand({ HostedZoneId: id, MaxItems: 2 }));
    assert.equal(page.IsTruncated, true);
    assert.deepEqual([page.NextRecordName, page.NextRecordType], ['app.records.test.', 'CNAME']);
    const rest = await c.send(new ListResourceRecordSetsCommand({ HostedZoneId: id, StartRecordName: page.NextRecordName, StartRecordType: page.NextRecordType }));
    assert.equal(rest.ResourceRecordSets!.length, 2);

    e = await errorOf(c.send(new DeleteHostedZoneCommand({ Id: id })));
    assert.equal(e.name, 'HostedZoneNotEmpty');
    await c.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: id, ChangeBatch: { Changes: [rec('DELETE', 'www.records.test', 'A', ['127.10.0.5']), rec('DELETE', 'app.records.test', 'CNAME', ['ec2-127-10-0-5.compute-1.amazonaws.com'])] } }));
    const del = await c.send(new DeleteHostedZoneCommand({ Id: id }));
    assert.equal(del.ChangeInfo!.Status, 'PENDING');
    assert.equal((await errorOf(c.send(new GetChangeCommand({ Id: 'CNOSUCHCHANGE' })))).name, 'NoSuchChange');
  });
});
