// Tables fitted to the terminal: widths in terminal columns (string-width: CJK and emoji take two), no
// column left out that fits, shrinkable columns never below 12 and never widened, cuts never split a grapheme.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import stringWidth from 'string-width';
import { renderList } from '../../src/commands/list/render.js';
import type { ListRow } from '../../src/commands/list/rows.js';
import { candidateLabels } from '../../src/lib/resolve.js';
import type { InstanceInfo } from '../../src/lib/instances.js';
import { fitColumns, renderTable, SHRINK_MIN, truncate, type Column } from '../../src/lib/table.js';

function row(name: string, over: Partial<ListRow> = {}): ListRow {
  return {
    region: 'us-east-1', id: 'i-0123456789abcdef0', name, state: 'running', type: 't3.small', dnsRecord: null, hostedZoneId: null,
    publicIp: '203.0.113.10', privateIp: '172.31.0.10', publicDns: null, privateDns: null, launchTime: '2026-01-01T00:00:00.000Z',
    ageSeconds: 120, expiresAt: null, expiresInSeconds: null, expired: false, managed: true,
    health: { summary: 'ok', instanceStatus: 'ok', systemStatus: 'ok', ebsStatus: null, events: [] },
    availabilityZone: null, imageId: null, keyName: null, securityGroups: [], launch: null, role: null, user: null, sshPort: 22,
    architecture: null, platform: null, hourlyPriceUsd: null, ...over,
  } as ListRow;
}

const lines = (rows: ListRow[], width: number) => renderList(rows, { wide: false, regionColumn: false, headers: true, width });
const headers = (line: string) => line.split(/\s{2,}/);

describe('tables fitted to the width', () => {
  it('COLUMNS=50 with a short name: NAME is not widened, and PUBLIC IP, which fits, is kept', () => {
    const out = lines([row('lab')], 50);
    for (const l of out) assert.ok(stringWidth(l) <= 50, `${stringWidth(l)}: ${l}`);
    assert.deepEqual(headers(out[0]!), ['NAME', 'ID', 'STATE', 'PUBLIC IP']);
    assert.match(out[1]!, /^lab {3}i-/, 'NAME keeps its own width (4, the header), not the 12 minimum');
  });

  it('a long name is cut to the 12-column minimum before a column is left out, and widened again when there is room', () => {
    const long = 'a-rather-long-instance-name';
    const narrow = lines([row(long)], 50);
    assert.equal(narrow[1]!.split('  ')[0], truncate(long, SHRINK_MIN));
    const wide = lines([row(long)], 200);
    assert.ok(wide[1]!.startsWith(long), 'all of it when it fits');
  });

  it('no column is left out that would fit: a narrow low-priority column stays when a wide one goes', () => {
    const cols: Column<{ a: string; b: string; c: string }>[] = [
      { header: 'A', value: (r) => r.a, priority: 9 },
      { header: 'WIDE', value: (r) => r.b, priority: 5 },
      { header: 'C', value: (r) => r.c, priority: 1 },
    ];
    const out = renderTable([{ a: 'aaaa', b: 'b'.repeat(30), c: 'cc' }], cols, 12);
    assert.deepEqual(headers(out[0]!), ['A', 'C']);
    assert.deepEqual(out[1], 'aaaa  cc');
  });

  it('fitColumns: the width used never exceeds the limit, for every limit', () => {
    const natural = [20, 19, 13, 8, 12, 11, 4, 5, 6];
    const columns = natural.map((_, i) => ({ priority: 10 - i, shrink: i === 0 }));
    for (let max = 1; max <= 120; max++) {
      const { keep, widths } = fitColumns(natural, columns, max);
      const used = widths.reduce((sum, w, i) => sum + (keep[i] ? w + 2 : 0), -2);
      assert.ok(keep.some(Boolean), `max ${max}: something shown`);
      if (keep.filter(Boolean).length > 1 || widths[0]! <= max) assert.ok(used <= max, `max ${max}: used ${used}`);
    }
  });

  it('CJK and emoji names take two columns each and the columns after them line up', () => {
    const rows = [row('lab'), row('实验室-服务器'), row('🧪-lab'), row('👩‍🔬-science')];
    const out = lines(rows, 200);
    const idAt = out.map((l) => stringWidth(l.slice(0, l.indexOf('i-0123'))));
    assert.equal(new Set(idAt.slice(1)).size, 1, `ID starts at the same terminal column:\n${out.join('\n')}`);
  });

  it('a cut CJK or emoji name never splits a character or a grapheme, and fits its width', () => {
    assert.equal(truncate('实验室服务器', 7), '实验室…');
    assert.equal(stringWidth(truncate('实验室服务器', 7)), 7);
    assert.equal(truncate('👩‍🔬👩‍🔬👩‍🔬', 5), '👩‍🔬👩‍🔬…');
    assert.equal(truncate('e\u0301e\u0301e\u0301e\u0301', 3), 'e\u0301e\u0301…');
  });

  it('picker rows line up whatever the names (CJK included)', () => {
    const base = { region: 'us-east-1', state: 'running', managed: true, sshPort: 22, securityGroups: [], tags: {} };
    const labels = candidateLabels([
      { ...base, id: 'i-0000000000000000a', name: 'lab', publicIp: '203.0.113.1' },
      { ...base, id: 'i-0000000000000000b', name: '实验室', state: 'stopped' },
      { ...base, id: 'i-0000000000000000c', name: 'a-much-longer-name', privateIp: '172.31.0.3' },
    ] as unknown as InstanceInfo[]);
    const at = labels.map((l) => stringWidth(l.slice(0, l.indexOf('i-0'))));
    assert.equal(new Set(at).size, 1, labels.join('\n'));
    const regionAt = labels.map((l) => stringWidth(l.slice(0, l.indexOf('us-east-1'))));
    assert.equal(new Set(regionAt).size, 1, labels.join('\n'));
  });
});
