// ec2list's pure parts, with tables: options and consent, pattern matching, rows and JSON keys,
// rendering (width fitting, TSV), and action planning.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { InstanceInfo } from '../../src/lib/instances.js';
import { UsageError } from '../../src/lib/errors.js';
import { displayWidth } from '../../src/lib/table.js';
import { checkConsent, parseListOptions } from '../../src/commands/list/options.js';
import { describePlan, describeStep as describePlanStep, planDeleteSnapshots, planInstanceAction, planSnapshots, selectBulk, confirmQuestion } from '../../src/commands/list/plan.js';
import { compactDuration, healthCell, renderList, renderTsv, timeLeft, renderHealth } from '../../src/commands/list/render.js';
import { filterByPatterns, ROW_KEYS, sortRows, toHealth, toRow } from '../../src/commands/list/rows.js';
import { ROOT } from '../helpers/run.js';

const NOW = Date.UTC(2026, 0, 10, 12, 0, 0);
const G = { local: false, json: false, quiet: false, verbose: false, color: false };

function inst(p: Partial<InstanceInfo> & { id: string }): InstanceInfo {
  return { region: 'us-east-1', state: 'running', managed: false, sshPort: 22, securityGroups: [], tags: {}, ...p };
}

const lab = inst({
  id: 'i-0000000000000000a', name: 'lab', managed: true, dnsRecord: 'lab.example.com', hostedZoneId: 'Z1', publicIp: '1.2.3.4',
  publicDns: 'ec2-1-2-3-4.compute-1.amazonaws.com', privateIp: '10.0.0.1', type: 't3.micro', launchTime: new Date(NOW - 3 * 3600_000),
  expiresAt: new Date(NOW - 600_000), tags: { Name: 'lab', 'ec2term:managed': 'true', 'ec2term:launch': 'type=t3.micro pylab' },
});
const web = inst({ id: 'i-0000000000000000b', name: 'web', publicIp: '5.6.7.8', type: 'm5.large', launchTime: new Date(NOW - 86400_000 * 3) });
const stopped = inst({ id: 'i-0000000000000000c', name: 'old', state: 'stopped', managed: true, expiresAt: new Date(NOW + 7200_000) });
const far = inst({ id: 'i-0000000000000000d', name: 'far', region: 'eu-west-1', managed: true, expiresAt: new Date(NOW - 1000) });

describe('options', () => {
  it('parses actions, names and aliases', () => {
    const cases: [string[], Record<string, unknown>, unknown][] = [
      [[], {}, undefined],
      [[], { terminate: ['lab', 'web', 'lab'] }, { kind: 'terminate', names: ['lab', 'web'] }],
      [['lab*'], { stop: true }, { kind: 'stop', names: [] }],
      [[], { terminateAll: true }, { kind: 'terminate-all', names: [] }],
      [[], { expired: true }, { kind: 'expired', names: [] }],
      [[], { deleteSnapshot: ['snap-0123456789abcdef0'] }, { kind: 'delete-snapshot', names: ['snap-0123456789abcdef0'] }],
    ];
    for (const [args, o, want] of cases) assert.deepEqual(parseListOptions(args, o, G).action, want, JSON.stringify(o));
  });
  it('rejects bad combinations before any request', () => {
    const bad: [string[], Record<string, unknown>, Partial<typeof G> & { region?: string }][] = [
      [[], { stop: true, start: true }, {}],
      [[], { force: true }, {}],
      [[], { start: ['x'], force: true }, {}],
      [[], { includeUnmanaged: true, terminate: ['x'] }, {}],
      [[], { yes: true }, {}],
      [[], { dryRun: true }, {}],
      [[], { watch: true, terminate: ['x'] }, {}],
      [[], { watch: true }, { json: true }],
      [[], { watch: true, interval: '0.5s' }, {}],
      [[], { interval: 'soon' }, {}],
      [[], { sort: 'colour' }, {}],
      [[], { output: 'tsv' }, { json: true }],
      [[], { deleteSnapshot: ['snap-xyz'] }, {}],
      [['lab'], { terminate: ['web'] }, {}],
      [[], { snapshots: true, stop: ['x'] }, {}],
      [[], {}, { region: 'mars-1' }],
      [[], {}, { region: 'us-east-1,,bad' }],
    ];
    for (const [args, o, g] of bad) assert.throws(() => parseListOptions(args, o, { ...G, ...g }), UsageError, JSON.stringify([args, o, g]));
  });
  it('reads regions', () => {
    assert.equal(parseListOptions([], {}, G).regions, undefined);
    assert.equal(parseListOptions([], {}, { ...G, region: 'all' }).regions, 'all');
    assert.deepEqual(parseListOptions([], {}, { ...G, region: 'us-east-1, eu-west-1,us-east-1' }).regions, ['us-east-1', 'eu-west-1']);
  });
  it('needs --yes (or --dry-run) for destructive actions without a terminal, and names for pickers', () => {
    const cases: [Record<string, unknown>, boolean, boolean][] = [
      // options, interactive, allowed
      [{ terminate: ['lab'] }, false, false],
      [{ terminate: ['lab'], yes: true }, false, true],
      [{ terminate: ['lab'], dryRun: true }, false, true],
      [{ terminate: ['lab'] }, true, true],
      [{ terminate: true, yes: true }, false, false],
      [{ terminate: true }, true, true],
      [{ stop: ['lab'] }, false, false],
      [{ start: ['lab'] }, false, true],
      [{ start: true }, false, false],
      [{ snapshot: ['lab'] }, false, true],
      [{ terminateAll: true }, false, false],
      [{ terminateAll: true, yes: true }, false, true],
      [{ expired: true, yes: true }, false, true],
      [{ deleteSnapshot: ['snap-0123456789abcdef0'] }, false, false],
      [{}, false, true],
    ];
    for (const [o, interactive, allowed] of cases) {
      const opts = parseListOptions([], o, G);
      if (allowed) assert.doesNotThrow(() => checkConsent(opts, interactive), JSON.stringify(o));
      else assert.throws(() => checkConsent(opts, interactive), UsageError, JSON.stringify(o));
    }
  });
});

describe('patterns, rows and JSON keys', () => {
  it('matches Name, id, DNS record and address with wildcards', () => {
    const all = [lab, web, stopped, far];
    const cases: [string[], string[]][] = [
      [[], ['lab', 'web', 'old', 'far']],
      [['lab'], ['lab']],
      [['LAB'], ['lab']],
      [['l*'], ['lab']],
      [['?a?'], ['lab', 'far']],
      [['*.example.com'], ['lab']],
      [['lab.example.com.'], ['lab']],
      [['5.6.7.*'], ['web']],
      [['i-0000000000000000c'], ['old']],
      [['10.0.0.1'], ['lab']],
      [['w*', 'o*'], ['web', 'old']],
      [['nothing'], []],
    ];
    for (const [patterns, want] of cases) assert.deepEqual(filterByPatterns(all, patterns).map((i) => i.name), want, patterns.join(' '));
  });
  it('builds rows with every documented key, in order', () => {
    const row = toRow(lab, NOW);
    assert.deepEqual(Object.keys(row), ROW_KEYS);
    assert.equal(row.ageSeconds, 3 * 3600);
    assert.equal(row.expiresInSeconds, -600);
    assert.equal(row.expired, true);
    assert.equal(row.launch, 'type=t3.micro pylab');
    assert.equal(row.hourlyPriceUsd, 0.0104);
    assert.equal(toRow(inst({ id: 'i-1', type: 'x9.huge' }), NOW).hourlyPriceUsd, null);
    const doc = readFileSync(join(ROOT, 'docs/list.md'), 'utf8');
    for (const k of ROW_KEYS) assert.match(doc, new RegExp(`\\| \`${k}\` \\|`), `docs/list.md documents ${k}`);
  });
  it('summarises health', () => {
    const cases: [unknown, string, number][] = [
      [undefined, '-', 0],
      [{ InstanceStatus: { Status: 'ok' }, SystemStatus: { Status: 'ok' } }, 'ok', 0],
      [{ InstanceStatus: { Status: 'initializing' }, SystemStatus: { Status: 'ok' } }, 'initializing', 0],
      [{ InstanceStatus: { Status: 'ok' }, SystemStatus: { Status: 'impaired' } }, 'impaired', 0],
      [{ InstanceStatus: { Status: 'not-applicable' }, SystemStatus: { Status: 'not-applicable' } }, '-', 0],
      [
        {
          InstanceStatus: { Status: 'ok' },
          SystemStatus: { Status: 'ok' },
          Events: [
            { Code: 'system-reboot', Description: 'scheduled', NotBefore: new Date(NOW + 1000) },
            { Code: 'instance-stop', Description: '[Completed] done', NotBefore: new Date(NOW - 1000) },
          ],
        },
        'ok',
        1,
      ],
    ];
    for (const [status, summary, events] of cases) {
      const h = toHealth(status as never);
      assert.equal(h.summary, summary);
      assert.equal(h.events.length, events);
    }
    assert.equal(healthCell({ health: { ...toHealth(undefined), events: [{ code: 'x', description: '', notBefore: null, notAfter: null }] } }), '1 event');
  });
  it('sorts stably', () => {
    const rows = [web, far, lab, stopped].map((i) => toRow(i, NOW));
    assert.deepEqual(sortRows(rows).map((r) => r.name), ['far', 'lab', 'old', 'web']);
    assert.deepEqual(sortRows(rows, 'name').map((r) => r.name), ['far', 'lab', 'old', 'web']);
    assert.deepEqual(sortRows(rows, 'expires').map((r) => r.name), ['lab', 'far', 'old', 'web']);
    assert.deepEqual(sortRows(rows, 'age').map((r) => r.name), ['lab', 'web', 'far', 'old']);
    assert.deepEqual(sortRows(rows, 'state').map((r) => r.name), ['far', 'lab', 'web', 'old']);
  });
});

describe('rendering', () => {
  it('formats durations and time left', () => {
    const cases: [number, string][] = [[0, '0s'], [45, '45s'], [750, '12m'], [3600, '1h'], [11_520, '3h12m'], [172_800, '2d'], [360_000, '4d4h']];
    for (const [s, want] of cases) assert.equal(compactDuration(s), want);
    assert.equal(timeLeft({ expiresInSeconds: null }), '-');
    assert.equal(timeLeft({ expiresInSeconds: 90 }), '1m');
    assert.equal(timeLeft({ expiresInSeconds: -10 }), 'expired');
    assert.equal(timeLeft({ expiresInSeconds: -600 }), 'expired 10m ago');
  });
  const rows = [lab, web, stopped].map((i) => toRow(i, NOW));
  it('fits the table to the width, dropping low-priority columns first', () => {
    const full = renderList(rows, { wide: false, regionColumn: false, headers: true, width: Infinity });
    assert.match(full[0], /^NAME\s+DNS\s+ID\s+STATE\s+TYPE\s+PUBLIC IP\s+PRIVATE IP\s+AGE\s+LEFT\s+HEALTH$/);
    assert.equal(full.length, 4);
    for (const width of [120, 100, 80, 60, 40]) {
      const lines = renderList(rows, { wide: false, regionColumn: false, headers: true, width });
      for (const l of lines) assert.ok(displayWidth(l) <= width, `${width}: ${l}`);
      assert.match(lines[0], /NAME/);
      assert.ok(lines.slice(1).every((l) => /i-000/.test(l) || width < 50), `${width}: the id stays`);
    }
    const narrow = renderList(rows, { wide: false, regionColumn: false, headers: true, width: 60 });
    assert.doesNotMatch(narrow[0], /PRIVATE IP/, 'private IP goes first');
    const wide = renderList(rows, { wide: true, regionColumn: true, headers: false, width: Infinity });
    assert.equal(wide.length, 3, 'no header');
    assert.match(wide[0], /^us-east-1\s+lab/);
    assert.match(wide.join('\n'), /\$0\.0104/);
    assert.match(wide.join('\n'), /type=t3\.micro pylab/);
  });
  it('colours only when given a palette', () => {
    const plain = renderList(rows, { wide: false, regionColumn: false, headers: true, width: 200 });
    assert.doesNotMatch(plain.join(''), /\u001b/);
    const red = (s: string) => `\u001b[31m${s}\u001b[39m`;
    const id = (s: string) => s;
    const paint = { bold: id, dim: id, red, green: (s: string) => `\u001b[32m${s}\u001b[39m`, yellow: id, blue: id, cyan: id, magenta: id };
    const coloured = renderList(rows, { wide: false, regionColumn: false, headers: true, width: 200, paint });
    assert.match(coloured[1], /\u001b\[32mrunning/);
    assert.match(coloured[3], /\u001b\[31mstopped/);
    assert.equal(displayWidth(coloured[1]), displayWidth(plain[1]));
  });
  it('writes TSV with one field per key and "-" for empty', () => {
    const lines = renderTsv(rows, { wide: false, headers: true });
    assert.equal(lines[0], 'region\tname\tdnsRecord\tid\tstate\ttype\tpublicIp\tprivateIp\tlaunchTime\texpiresAt\thealth\tevents\tmanaged');
    assert.equal(lines[3].split('\t')[2], '-');
    assert.ok(lines.every((l) => l.split('\t').length === 13));
    assert.equal(renderTsv(rows, { wide: true, headers: false }).length, 3);
  });
  it('shows scheduled events with dates in the health section', () => {
    const row = toRow(web, NOW, {
      InstanceStatus: { Status: 'ok' },
      SystemStatus: { Status: 'ok' },
      Events: [{ Code: 'system-maintenance', Description: 'network maintenance', NotBefore: new Date(Date.UTC(2026, 0, 12, 3)), NotAfter: new Date(Date.UTC(2026, 0, 12, 5)) }],
    });
    const lines = renderHealth([row], { wide: false, regionColumn: false, headers: true, width: Infinity });
    assert.match(lines[1], /system-maintenance\s+2026-01-12 03:00Z \.\. 2026-01-12 05:00Z\s+network maintenance/);
  });
});

describe('planning', () => {
  const terminated = inst({ id: 'i-0000000000000000e', name: 'gone', state: 'terminated' });
  const shutting = inst({ id: 'i-0000000000000000f', name: 'going', state: 'shutting-down', managed: true, expiresAt: new Date(NOW - 1) });
  const unmanagedExpired = inst({ id: 'i-00000000000000010', name: 'theirs', expiresAt: new Date(NOW - 1) });
  const all = [lab, web, stopped, far, terminated, shutting, unmanagedExpired];

  it('plans stop, start and terminate per state', () => {
    const cases: [Parameters<typeof planInstanceAction>[0], InstanceInfo[], { wait?: boolean; force?: boolean }, string[], string[]][] = [
      ['stop', [lab, stopped], {}, ['lab:stop'], ['old']],
      ['stop', [lab], { force: true, wait: true }, ['lab:force-stop,wait until stopped'], []],
      ['start', [lab, stopped], { wait: true }, ['old:start,wait until running'], ['lab']],
      ['terminate', [lab], {}, ['lab:delete DNS record lab.example.com if it still points at 1.2.3.4 or ec2-1-2-3-4.compute-1.amazonaws.com,terminate'], []],
      ['terminate', [web, web], { wait: true }, ['web:terminate,wait until terminated'], []],
      ['terminate', [terminated, shutting], {}, [], ['gone', 'going']],
      ['terminate', [shutting], { wait: true }, ['going:wait until terminated'], []],
    ];
    for (const [kind, instances, opts, tasks, skipped] of cases) {
      const plan = planInstanceAction(kind, instances, opts);
      assert.deepEqual(plan.tasks.map((t) => `${t.instance!.name}:${t.steps.map((s) => describePlanStep(s)).join(',')}`), tasks, `${kind} ${JSON.stringify(opts)}`);
      assert.deepEqual(plan.skipped.map((s) => s.subject.split(' ')[0]), skipped);
    }
  });
  it('a stopped instance without a public address keeps its record (nothing to check it against)', () => {
    const noIp = inst({ id: 'i-00000000000000011', name: 'dark', dnsRecord: 'dark.example.com', state: 'stopped' });
    const [step] = planInstanceAction('terminate', [noIp]).tasks[0].steps;
    assert.deepEqual(step, { kind: 'delete-record', record: 'dark.example.com', zoneId: undefined, expectedValues: [] });
  });
  it('a stopped instance still loses the record ec2term wrote (tag ec2term:dns-value): its old address is AWS\'s to hand out', () => {
    const dark = inst({ id: 'i-00000000000000012', name: 'dark', dnsRecord: 'dark.example.com', hostedZoneId: 'Z1', dnsValue: '3.3.3.3', state: 'stopped' });
    assert.deepEqual(planInstanceAction('terminate', [dark]).tasks[0].steps[0], { kind: 'delete-record', record: 'dark.example.com', zoneId: 'Z1', expectedValues: ['3.3.3.3'] });
    const moved = inst({ ...lab, dnsValue: '9.9.9.9' });
    assert.deepEqual((planInstanceAction('terminate', [moved]).tasks[0].steps[0] as { expectedValues: string[] }).expectedValues, ['1.2.3.4', 'ec2-1-2-3-4.compute-1.amazonaws.com', '9.9.9.9']);
  });
  it('a start makes the record follow the new address, only from what ec2term last wrote', () => {
    const cases: [Partial<InstanceInfo>, boolean, string[]][] = [
      [{ dnsRecord: 'old.example.com', dnsValue: '3.3.3.3' }, true, ['start', 'wait until running', 'point DNS record old.example.com at the new address if it still points at 3.3.3.3']],
      [{ dnsRecord: 'old.example.com' }, false, ['start', 'keep DNS record old.example.com (ec2term did not record what it wrote there)']],
      [{}, false, ['start']],
    ];
    for (const [extra, wait, steps] of cases) {
      const plan = planInstanceAction('start', [inst({ ...stopped, ...extra })], { wait });
      assert.deepEqual(plan.tasks[0].steps.map((x) => describePlanStep(x)), steps);
    }
    const [, , follow] = planInstanceAction('start', [inst({ ...stopped, dnsRecord: 'old.example.com', dnsValue: '3.3.3.3' })], { wait: true }).tasks[0].steps;
    assert.deepEqual(follow, { kind: 'follow-record', record: 'old.example.com', zoneId: undefined, lastWritten: '3.3.3.3', waitInsync: true });
  });
  it('DNS tags that cannot name a record (anyone can set tags) leave DNS alone; the instance is still terminated', () => {
    for (const [tags, why] of [
      [{ dnsRecord: 'bad name\u001b[2J.example.com' }, /tag ec2term:dns=.* is not a DNS name/],
      [{ dnsRecord: '-x.example.com' }, /is not a DNS name/],
      [{ dnsRecord: 'ok.example.com', hostedZoneId: '../../etc' }, /tag ec2term:zone=.* is not a hosted zone id/],
    ] as [Partial<InstanceInfo>, RegExp][]) {
      const steps = planInstanceAction('terminate', [inst({ ...lab, ...tags })]).tasks[0].steps;
      assert.deepEqual(steps.map((x) => x.kind), ['skip-record', 'terminate']);
      assert.match(describePlanStep(steps[0]), why);
      assert.doesNotMatch(describePlanStep(steps[0]), /\u001b/, 'shown escaped');
    }
  });
  it('--expired and --terminate-all show what picked each instance: the tags, the key pair, the launcher', () => {
    const tagged = inst({ ...lab, keyName: 'ec2term', tags: { ...lab.tags, 'ec2term:expires-at': '2026-01-10T11:50:00.000Z', 'ec2term:launched-by': 'ci@runner-7' } });
    const plan = planInstanceAction('expired', [tagged]);
    assert.deepEqual(plan.tasks[0].selectedBy, {
      tags: { 'ec2term:managed': 'true', 'ec2term:expires-at': '2026-01-10T11:50:00.000Z' },
      keyName: 'ec2term', launchTime: new Date(NOW - 3 * 3600_000).toISOString(), launchedBy: 'ci@runner-7',
    });
    assert.equal(describePlan(plan)[2], '      selected by tags ec2term:managed="true" ec2term:expires-at="2026-01-10T11:50:00.000Z"; key pair ec2term; launched 2026-01-10T09:00:00.000Z by "ci@runner-7" (tag ec2term:launched-by)');
    assert.match(describePlan(planInstanceAction('terminate-all', [web]))[2], /selected with --include-unmanaged; key pair \(none\)/);
    assert.equal(planInstanceAction('terminate', [tagged]).tasks[0].selectedBy, undefined, 'a named terminate needs no reason');
  });
  it('selects for --terminate-all and --expired', () => {
    const cases: ['terminate-all' | 'expired', boolean, string[], string[]][] = [
      ['terminate-all', false, ['lab', 'old', 'far'], ['web', 'theirs']],
      ['terminate-all', true, ['lab', 'web', 'old', 'far', 'theirs'], []],
      ['expired', false, ['lab', 'far'], []],
      ['expired', true, ['lab', 'far'], []],
    ];
    for (const [kind, includeUnmanaged, selected, skipped] of cases) {
      const r = selectBulk(kind, all, { includeUnmanaged, now: NOW });
      assert.deepEqual(r.selected.map((i) => i.name), selected, `${kind} ${includeUnmanaged}`);
      assert.deepEqual(r.skipped.map((s) => s.subject.split(' ')[0]), skipped);
    }
  });
  it('plans snapshots with tags, and snapshot deletions (managed only unless told)', () => {
    const plan = planSnapshots([{ instance: lab, volumes: [{ volumeId: 'vol-1', device: '/dev/sda1', sizeGiB: 8 }] }, { instance: web, volumes: [] }], { now: NOW, wait: true });
    assert.equal(plan.destructive, false);
    assert.equal(plan.tasks.length, 1);
    const [snap, wait] = plan.tasks[0].steps;
    assert.equal(wait.kind, 'wait-snapshots');
    assert.ok(snap.kind === 'snapshot');
    if (snap.kind === 'snapshot') {
      assert.deepEqual(snap.tags, { Name: 'lab /dev/sda1 2026-01-10T12:00:00Z', 'ec2term:managed': 'true', 'ec2term:instance': lab.id, 'ec2term:instance-name': 'lab', 'ec2term:device': '/dev/sda1' });
    }
    assert.deepEqual(plan.skipped.map((s) => s.reason), ['has no EBS volumes attached']);
    const found = [
      { snapshotId: 'snap-00000001', region: 'us-east-1', managed: true },
      { snapshotId: 'snap-00000002', region: 'us-east-1', managed: false },
    ];
    const del = planDeleteSnapshots(['snap-00000001', 'snap-00000002', 'snap-00000003'], found);
    assert.deepEqual(del.tasks.map((t) => t.subject), ['snap-00000001']);
    assert.deepEqual(del.skipped.map((s) => `${s.id}:${s.reason.split(' ')[0]}`), ['snap-00000002:not', 'snap-00000003:not']);
    assert.equal(planDeleteSnapshots(['snap-00000002'], found, { includeUnmanaged: true }).tasks.length, 1);
  });
  it('describes the plan and the question', () => {
    const plan = planInstanceAction('terminate', [lab, web, terminated], { wait: true });
    const lines = describePlan(plan);
    assert.equal(lines[0], 'Will terminate 2 instances in us-east-1:');
    assert.match(lines[2], /web \(i-0000000000000000b\) \[running, not made by ec2term\]: terminate, then wait until terminated/);
    assert.match(lines[3], /skipping gone .*already terminated/);
    assert.equal(describePlan(plan, { dryRun: true })[0], 'Would terminate 2 instances in us-east-1:');
    assert.equal(confirmQuestion(plan), 'Terminate these 2 instances?');
    assert.equal(confirmQuestion(planInstanceAction('stop', [lab])), 'Stop lab (i-0000000000000000a)?');
    assert.deepEqual(describePlan(planInstanceAction('start', [])), ['Nothing to start.']);
  });
});
