// src/lib/dns.ts: pure helpers with tables, the SDK implementation against a stubbed Route 53 client,
// and the in-memory implementation's Route 53 rules.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  bareId,
  checkDnsName,
  memoryDns,
  nameSuffixes,
  normalizeName,
  pickZone,
  pointsAt,
  sdkDns,
  type HostedZone,
} from '../../src/lib/dns.js';
import { fakeClock } from '../../src/lib/clock.js';
import { Ec2termError, TimeoutError, UsageError } from '../../src/lib/errors.js';

describe('dns pure helpers', () => {
  it('normalizes names', () => {
    for (const [input, want] of [
      ['Lab.MyTerm.com.', 'lab.myterm.com'],
      ['lab.myterm.com', 'lab.myterm.com'],
      [' x.y. ', 'x.y'],
    ]) assert.equal(normalizeName(input), want);
  });
  it('strips id prefixes', () => {
    for (const [input, want] of [
      ['/hostedzone/Z123', 'Z123'],
      ['hostedzone/Z123', 'Z123'],
      ['Z123', 'Z123'],
      ['/change/C9', 'C9'],
    ]) assert.equal(bareId(input), want);
  });
  it('lists suffixes longest first', () => {
    assert.deepEqual(nameSuffixes('lab.myterm.com.'), ['lab.myterm.com', 'myterm.com', 'com']);
    assert.deepEqual(nameSuffixes('com'), ['com']);
  });
  it('checks DNS names', () => {
    for (const ok of ['lab.example.com', 'a-b.c', 'x', '_acme.example.com']) assert.equal(checkDnsName(ok), ok);
    for (const bad of ['', 'a..b', '-a.com', 'a-.com', 'sp ace.com', `${'a'.repeat(64)}.com`, 'x;rm.com']) {
      assert.throws(() => checkDnsName(bad), UsageError, bad);
    }
  });
  const zones: HostedZone[] = [
    { id: 'Z1', name: 'com', private: false },
    { id: 'Z2', name: 'myterm.com', private: true },
    { id: 'Z3', name: 'myterm.com', private: false },
    { id: 'Z4', name: 'other.org', private: false },
    { id: 'Z5', name: 'lab.myterm.com.x', private: false },
  ];
  it('picks the longest suffix zone, public before private', () => {
    const cases: [string, string | undefined][] = [
      ['lab.myterm.com', 'Z3'],
      ['a.b.myterm.com.', 'Z3'],
      ['myterm.com', 'Z3'],
      ['example.com', 'Z1'],
      ['lab.other.org', 'Z4'],
      ['lab.nothing.net', undefined],
      ['xmyterm.com', 'Z1'],
    ];
    for (const [name, want] of cases) assert.equal(pickZone(zones, name)?.id, want, name);
    assert.equal(pickZone([zones[1]], 'lab.myterm.com')?.id, 'Z2');
  });
  it('decides whether a record points at an instance', () => {
    const cases: [string[], string[], boolean][] = [
      [['1.2.3.4'], ['1.2.3.4', 'ec2-1-2-3-4.compute.amazonaws.com'], true],
      [['ec2-1-2-3-4.compute.amazonaws.com.'], ['1.2.3.4', 'EC2-1-2-3-4.compute.amazonaws.com'], true],
      [['5.6.7.8'], ['1.2.3.4'], false],
      [['1.2.3.4', '5.6.7.8'], ['1.2.3.4'], false],
      [[], ['1.2.3.4'], false],
      [['1.2.3.4'], [], false],
      [['1.2.3.4'], ['', '1.2.3.4'], true],
    ];
    for (const [values, expected, want] of cases) {
      assert.equal(pointsAt({ name: 'x', type: 'A', values }, expected), want, `${values} vs ${expected}`);
    }
  });
});

/** A stand-in Route 53 client: answers by command name, records what was sent. */
function stubRoute53(answer: (name: string, input: any) => any) {
  const sent: { name: string; input: any }[] = [];
  const client = {
    async send(cmd: { constructor: { name: string }; input: unknown }) {
      const name = cmd.constructor.name.replace(/Command$/, '');
      sent.push({ name, input: cmd.input });
      const out = answer(name, cmd.input);
      if (out instanceof Error) throw out;
      return out;
    },
  };
  return { sent, aws: { route53: async () => client as any } };
}

function awsError(name: string, message: string, status = 400) {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status, requestId: 'r-1' } });
}

describe('sdkDns against a stubbed client', () => {
  it('finds the longest-suffix zone with one look-up per suffix', async () => {
    const all = [
      { Id: '/hostedzone/ZCOM', Name: 'myterm.com.', Config: { PrivateZone: false } },
      { Id: '/hostedzone/ZPRIV', Name: 'myterm.com.', Config: { PrivateZone: true } },
    ];
    const { sent, aws } = stubRoute53((name, input) => {
      assert.equal(name, 'ListHostedZonesByName');
      // Route 53 returns zones from DNSName onwards in its order, not only exact ones.
      return { HostedZones: input.DNSName === 'com' ? all : input.DNSName === 'myterm.com' ? all : [] };
    });
    const dns = await sdkDns(aws);
    assert.deepEqual(await dns.findZoneFor('Lab.MyTerm.com.'), { id: 'ZCOM', name: 'myterm.com', private: false });
    assert.deepEqual(sent.map((s) => s.input.DNSName).sort(), ['com', 'lab.myterm.com', 'myterm.com']);
    assert.equal(await dns.findZoneFor('x.example.org'), undefined);
  });

  it('upserts with TTL 60 by default and returns the bare change id', async () => {
    const { sent, aws } = stubRoute53(() => ({ ChangeInfo: { Id: '/change/C1', Status: 'PENDING' } }));
    const dns = await sdkDns(aws);
    assert.deepEqual(await dns.upsertRecord('/hostedzone/Z1', 'Lab.example.com.', 'CNAME', 'ec2-1.compute.amazonaws.com'), { id: 'C1', status: 'PENDING' });
    const input = sent[0].input;
    assert.equal(input.HostedZoneId, 'Z1');
    assert.deepEqual(input.ChangeBatch.Changes, [
      { Action: 'UPSERT', ResourceRecordSet: { Name: 'lab.example.com', Type: 'CNAME', TTL: 60, ResourceRecords: [{ Value: 'ec2-1.compute.amazonaws.com' }] } },
    ]);
  });

  it('waits for INSYNC and times out naming the phase', async () => {
    let calls = 0;
    const { aws } = stubRoute53(() => ({ ChangeInfo: { Id: '/change/C1', Status: ++calls >= 3 ? 'INSYNC' : 'PENDING' } }));
    const dns = await sdkDns(aws);
    await dns.waitInsync('/change/C1', { clock: fakeClock(), timeoutMs: 60_000 });
    assert.equal(calls, 3);
    const never = stubRoute53(() => ({ ChangeInfo: { Id: '/change/C2', Status: 'PENDING' } }));
    const dns2 = await sdkDns(never.aws);
    await assert.rejects(dns2.waitInsync('C2', { clock: fakeClock(), timeoutMs: 10_000 }), (e: unknown) => e instanceof TimeoutError && /C2 to be INSYNC/.test(e.phase));
  });

  it('reads one record of the asked name and type', async () => {
    const { aws } = stubRoute53(() => ({
      ResourceRecordSets: [
        { Name: 'lab.example.com.', Type: 'A', TTL: 60, ResourceRecords: [{ Value: '1.2.3.4' }] },
        { Name: 'lab.example.com.', Type: 'TXT', TTL: 60, ResourceRecords: [{ Value: '"x"' }] },
        { Name: 'lab2.example.com.', Type: 'A', TTL: 60, ResourceRecords: [{ Value: '5.6.7.8' }] },
      ],
    }));
    const dns = await sdkDns(aws);
    assert.deepEqual(await dns.getRecord('Z1', 'lab.example.com', 'A'), { name: 'lab.example.com', type: 'A', ttl: 60, values: ['1.2.3.4'] });
    assert.equal(await dns.getRecord('Z1', 'lab.example.com', 'CNAME'), undefined);
    assert.equal(await dns.getRecord('Z1', 'lab3.example.com', 'A'), undefined);
  });

  it('deletes only a record that points at the instance, with its exact values', async () => {
    const record = { Name: 'lab.example.com.', Type: 'A', TTL: 300, ResourceRecords: [{ Value: '1.2.3.4' }] };
    const { sent, aws } = stubRoute53((name) =>
      name === 'ListResourceRecordSets' ? { ResourceRecordSets: [record] } : { ChangeInfo: { Id: '/change/C7', Status: 'PENDING' } },
    );
    const dns = await sdkDns(aws);
    const kept = await dns.deleteRecordIfPointsAt('Z1', 'lab.example.com', ['9.9.9.9']);
    assert.deepEqual(kept, { deleted: false, reason: 'points-elsewhere', record: { name: 'lab.example.com', type: 'A', ttl: 300, values: ['1.2.3.4'] } });
    assert.ok(!sent.some((s) => s.name === 'ChangeResourceRecordSets'));
    const gone = await dns.deleteRecordIfPointsAt('Z1', 'lab.example.com.', ['1.2.3.4', 'ec2-x']);
    assert.equal(gone.deleted, true);
    const del = sent.find((s) => s.name === 'ChangeResourceRecordSets')!.input;
    assert.deepEqual(del.ChangeBatch.Changes[0], {
      Action: 'DELETE',
      ResourceRecordSet: { Name: 'lab.example.com', Type: 'A', TTL: 300, ResourceRecords: [{ Value: '1.2.3.4' }] },
    });
  });

  it('reports a record changed in between (InvalidChangeBatch) as not deleted', async () => {
    let reads = 0;
    const { aws } = stubRoute53((name) => {
      if (name === 'ListResourceRecordSets') {
        reads++;
        const value = reads === 1 ? '1.2.3.4' : '5.6.7.8';
        return { ResourceRecordSets: [{ Name: 'lab.example.com.', Type: 'A', TTL: 60, ResourceRecords: [{ Value: value }] }] };
      }
      return awsError('InvalidChangeBatch', 'values provided do not match the current values');
    });
    const dns = await sdkDns(aws);
    const res = await dns.deleteRecordIfPointsAt('Z1', 'lab.example.com', ['1.2.3.4']);
    assert.equal(res.deleted, false);
    assert.equal(res.deleted === false && res.reason, 'points-elsewhere');
  });

  it('reports a missing record, and maps other errors to typed ones', async () => {
    const { aws } = stubRoute53(() => ({ ResourceRecordSets: [] }));
    assert.deepEqual(await (await sdkDns(aws)).deleteRecordIfPointsAt('Z1', 'lab.example.com', ['1.2.3.4']), { deleted: false, reason: 'missing' });
    const denied = stubRoute53(() => awsError('AccessDenied', 'not allowed', 403));
    await assert.rejects((await sdkDns(denied.aws)).getRecord('Z1', 'lab.example.com', 'A'), (e: unknown) => e instanceof Ec2termError && e.exitCode === 4);
  });

  it('creates a zone and returns its name servers', async () => {
    const { sent, aws } = stubRoute53(() => ({
      HostedZone: { Id: '/hostedzone/ZNEW', Name: 'myterm.com.' },
      DelegationSet: { NameServers: ['ns-1.awsdns-01.org', 'ns-2.awsdns-02.com'] },
      ChangeInfo: { Id: '/change/C3', Status: 'PENDING' },
    }));
    const zone = await (await sdkDns(aws)).createZone('MyTerm.com');
    assert.deepEqual(zone, {
      id: 'ZNEW',
      name: 'myterm.com',
      private: false,
      nameServers: ['ns-1.awsdns-01.org', 'ns-2.awsdns-02.com'],
      change: { id: 'C3', status: 'PENDING' },
    });
    assert.equal(sent[0].input.Name, 'myterm.com');
    assert.match(sent[0].input.CallerReference, /^ec2term-myterm\.com-\d+-/);
  });
});

describe('memoryDns', () => {
  it('follows Route 53 rules', async () => {
    const dns = memoryDns([{ id: 'Z1', name: 'example.com.' }]);
    assert.equal((await dns.findZoneFor('lab.example.com'))?.id, 'Z1');
    await dns.upsertRecord('Z1', 'lab.example.com', 'A', '1.2.3.4');
    await dns.upsertRecord('Z1', 'lab.example.com', 'A', '1.2.3.5');
    assert.deepEqual((await dns.getRecord('Z1', 'lab.example.com.', 'A'))?.values, ['1.2.3.5']);
    assert.deepEqual(await dns.deleteRecordIfPointsAt('Z1', 'lab.example.com', ['1.2.3.4']), {
      deleted: false,
      reason: 'points-elsewhere',
      record: { name: 'lab.example.com', type: 'A', ttl: 60, values: ['1.2.3.5'] },
    });
    assert.equal((await dns.deleteRecordIfPointsAt('Z1', 'lab.example.com', ['1.2.3.5'])).deleted, true);
    assert.deepEqual(await dns.deleteRecordIfPointsAt('Z1', 'lab.example.com', ['1.2.3.5']), { deleted: false, reason: 'missing' });
    const z = await dns.createZone('new.org');
    assert.equal((await dns.findZoneFor('a.new.org'))?.id, z.id);
    assert.deepEqual(dns.log, ['UPSERT lab.example.com A 1.2.3.4', 'UPSERT lab.example.com A 1.2.3.5', 'DELETE lab.example.com A 1.2.3.5', 'CREATEZONE new.org']);
  });
  it('repoints a record only from the values ec2term wrote', async () => {
    const dns = memoryDns([{ id: 'Z1', name: 'example.com', records: [{ name: 'lab.example.com', type: 'A', ttl: 60, values: ['1.1.1.1'] }] }]);
    assert.deepEqual(await dns.repointRecordIfPointsAt('Z1', 'lab.example.com', ['9.9.9.9'], '2.2.2.2'), { changed: false, reason: 'points-elsewhere', record: { name: 'lab.example.com', type: 'A', ttl: 60, values: ['1.1.1.1'] } });
    assert.equal((await dns.repointRecordIfPointsAt('Z1', 'lab.example.com', ['1.1.1.1'], '2.2.2.2')).changed, true);
    assert.equal((await dns.repointRecordIfPointsAt('Z1', 'lab.example.com', ['1.1.1.1'], '2.2.2.2') as { reason: string }).reason, 'current');
    assert.equal((await dns.repointRecordIfPointsAt('Z1', 'nope.example.com', ['1.1.1.1'], '2.2.2.2') as { reason: string }).reason, 'missing');
    assert.deepEqual(dns.log, ['REPOINT lab.example.com A 1.1.1.1 -> 2.2.2.2']);
  });
});
