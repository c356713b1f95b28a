// Pure: rows -> lines of a table fitted to the width, or TSV. Colours come in as a palette (plain when
// piped or with --no-color), so the same function serves tests and terminals.
import type { Palette } from '../../lib/output.js';
import { renderTable, type Column } from '../../lib/table.js';
import { forTerminal } from '../../lib/untrusted.js';
import type { HealthEvent, ListRow } from './rows.js';

export interface RenderOptions {
  wide: boolean;
  /** Add a region column (several regions listed). */
  regionColumn: boolean;
  /** Add a profile column (--profile with several profiles). */
  profileColumn?: boolean;
  headers: boolean;
  width: number;
  paint?: Palette;
}

const plain = (s: string) => s;

/** Pure: 45 -> "45s", 750 -> "12m", 11_520 -> "3h12m", 360_000 -> "4d4h". */
export function compactDuration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h${m % 60 ? `${m % 60}m` : ''}`;
  const d = Math.floor(h / 24);
  return `${d}d${h % 24 ? `${h % 24}h` : ''}`;
}

/** Pure: the "time left" cell. */
export function timeLeft(row: Pick<ListRow, 'expiresInSeconds'>): string {
  const left = row.expiresInSeconds;
  if (left === null) return '-';
  if (left <= 0) return left > -60 ? 'expired' : `expired ${compactDuration(-left)} ago`;
  return compactDuration(left);
}

/** Pure: the one-word health cell, with the count of scheduled events. */
export function healthCell(row: Pick<ListRow, 'health'>): string {
  const h = row.health;
  const n = h.events.length;
  const word = h.summary === 'initializing' ? 'init' : h.summary === 'insufficient-data' ? 'no-data' : h.summary;
  if (n === 0) return word;
  return `${word === '-' ? '' : `${word}, `}${n} event${n === 1 ? '' : 's'}`;
}

export function stateColor(state: string, p: Palette): (s: string) => string {
  switch (state) {
    case 'running':
      return p.green;
    case 'pending':
    case 'stopping':
    case 'shutting-down':
      return p.yellow;
    case 'stopped':
      return p.red;
    case 'terminated':
      return p.dim;
    default:
      return plain;
  }
}

function healthColor(row: ListRow, p: Palette): (s: string) => string {
  if (row.health.summary === 'impaired') return p.red;
  if (row.health.events.length > 0 || row.health.summary === 'initializing' || row.health.summary === 'insufficient-data') return p.yellow;
  if (row.health.summary === 'ok') return p.green;
  return plain;
}

const dash = (v: string | number | null | undefined) => (v === null || v === undefined || v === '' ? '-' : String(v));

export function priceCell(v: number | null): string {
  if (v === null) return '-';
  return `$${v < 0.1 ? v.toFixed(4) : v.toFixed(3)}`;
}

/** The columns of the main table. Priorities: higher stays longer when the width is short. */
export function listColumns(o: Pick<RenderOptions, 'wide' | 'regionColumn' | 'profileColumn' | 'paint'>): Column<ListRow>[] {
  const p = o.paint;
  const cols: Column<ListRow>[] = [];
  if (o.profileColumn) cols.push({ header: 'PROFILE', value: (r) => dash(r.profile), priority: 8 });
  if (o.regionColumn) cols.push({ header: 'REGION', value: (r) => r.region, priority: 7 });
  cols.push(
    { header: 'NAME', value: (r) => dash(r.name), priority: 10, shrink: true, paint: p ? (t) => p.bold(t) : undefined },
    { header: 'DNS', value: (r) => dash(r.dnsRecord), priority: 4, shrink: true },
    { header: 'ID', value: (r) => r.id, priority: 9 },
    { header: 'STATE', value: (r) => r.state, priority: 8, paint: p ? (t, r) => stateColor(r.state, p)(t) : undefined },
    { header: 'TYPE', value: (r) => dash(r.type), priority: 5 },
    { header: 'PUBLIC IP', value: (r) => dash(r.publicIp), priority: 7 },
    { header: 'PRIVATE IP', value: (r) => dash(r.privateIp), priority: 3 },
    { header: 'REACH', value: (r) => (r.reach === 'none' ? '-' : r.reach), priority: 5, paint: p ? (t, r) => (r.reach === 'private-unreachable' ? p.yellow(t) : t) : undefined },
    { header: 'AGE', value: (r) => (r.ageSeconds === null ? '-' : compactDuration(r.ageSeconds)), priority: 4, align: 'right' },
    { header: 'LEFT', value: timeLeft, priority: 5, paint: p ? (t, r) => (r.expired ? p.red(t) : t) : undefined },
    { header: 'HEALTH', value: healthCell, priority: 6, paint: p ? (t, r) => healthColor(r, p)(t) : undefined },
  );
  if (o.wide) {
    cols.push(
      { header: 'ZONE', value: (r) => dash(r.availabilityZone), priority: 2 },
      { header: 'IMAGE', value: (r) => dash(r.imageId), priority: 2 },
      { header: 'KEY', value: (r) => dash(r.keyName), priority: 2, shrink: true },
      { header: 'GROUPS', value: (r) => dash(r.securityGroups.map((g) => g.name ?? g.id).join(',')), priority: 1, shrink: true },
      { header: 'LAUNCH', value: (r) => dash(r.launch), priority: 1, shrink: true },
      { header: '$/HOUR', value: (r) => priceCell(r.hourlyPriceUsd), priority: 2, align: 'right' },
    );
  }
  return cols;
}

/** Pure: the instance table, fitted to `width`. */
export function renderList(rows: ListRow[], o: RenderOptions): string[] {
  const lines = renderTable(rows, listColumns(o), o.width);
  return o.headers ? lines : lines.slice(1);
}

/** The TSV fields, named as the JSON keys (nested values flattened). */
export function tsvFields(o: Pick<RenderOptions, 'wide' | 'profileColumn'>): [string, (r: ListRow) => string | number | null][] {
  const fields: [string, (r: ListRow) => string | number | null][] = [
    ...(o.profileColumn ? [['profile', (r: ListRow) => r.profile ?? null] as [string, (r: ListRow) => string | null]] : []),
    ['region', (r) => r.region],
    ['name', (r) => r.name],
    ['dnsRecord', (r) => r.dnsRecord],
    ['id', (r) => r.id],
    ['state', (r) => r.state],
    ['type', (r) => r.type],
    ['publicIp', (r) => r.publicIp],
    ['privateIp', (r) => r.privateIp],
    ['launchTime', (r) => r.launchTime],
    ['expiresAt', (r) => r.expiresAt],
    ['health', (r) => r.health.summary],
    ['events', (r) => r.health.events.length],
    ['managed', (r) => String(r.managed)],
    // Added last: awk scripts' field numbers hold.
    ['reach', (r) => r.reach],
  ];
  if (o.wide) {
    fields.push(
      ['availabilityZone', (r) => r.availabilityZone],
      ['imageId', (r) => r.imageId],
      ['keyName', (r) => r.keyName],
      ['securityGroups', (r) => r.securityGroups.map((g) => g.id).join(',')],
      ['launch', (r) => r.launch],
      ['hourlyPriceUsd', (r) => r.hourlyPriceUsd],
    );
  }
  return fields;
}

/** One TSV field: "-" for empty; tabs, newlines and other controls escaped (\t, \n), so fields and lines hold. */
export const tsvCell = (v: string | number | null | undefined) => (v === null || v === undefined || v === '' ? '-' : forTerminal(String(v)));

/** Pure: one line per instance, tab-separated, "-" for empty (so awk's field numbers hold). */
export function renderTsv(rows: ListRow[], o: Pick<RenderOptions, 'wide' | 'headers' | 'profileColumn'>): string[] {
  const fields = tsvFields(o);
  const lines = rows.map((r) => fields.map(([, f]) => tsvCell(f(r))).join('\t'));
  return o.headers ? [fields.map(([k]) => k).join('\t'), ...lines] : lines;
}

function eventWhen(e: HealthEvent): string {
  const short = (s: string | null) => (s ? s.replace(/:\d\d\.\d{3}Z$/, 'Z').replace('T', ' ') : '');
  if (e.notBefore && e.notAfter) return `${short(e.notBefore)} .. ${short(e.notAfter)}`;
  return short(e.notBefore ?? e.notAfter) || '-';
}

interface HealthLine {
  row: ListRow;
  event?: HealthEvent;
}

/** Pure: the --health section: status checks per instance, one line per scheduled event. */
export function renderHealth(rows: ListRow[], o: RenderOptions): string[] {
  const lines: HealthLine[] = rows.flatMap((row) => (row.health.events.length ? row.health.events.map((event) => ({ row, event })) : [{ row }]));
  const p = o.paint;
  const status = (v: string | null) => dash(v);
  const statusPaint = p ? (t: string) => (t === 'impaired' ? p.red(t) : t === 'ok' ? p.green(t) : t === '-' ? t : p.yellow(t)) : undefined;
  const cols: Column<HealthLine>[] = [];
  if (o.regionColumn) cols.push({ header: 'REGION', value: (l) => l.row.region, priority: 6 });
  cols.push(
    { header: 'NAME', value: (l) => dash(l.row.name), priority: 10, shrink: true },
    { header: 'ID', value: (l) => l.row.id, priority: 9 },
    { header: 'STATE', value: (l) => l.row.state, priority: 7, paint: p ? (t, l) => stateColor(l.row.state, p)(t) : undefined },
    { header: 'INSTANCE', value: (l) => status(l.row.health.instanceStatus), priority: 8, paint: statusPaint },
    { header: 'SYSTEM', value: (l) => status(l.row.health.systemStatus), priority: 8, paint: statusPaint },
    { header: 'EBS', value: (l) => status(l.row.health.ebsStatus), priority: 3, paint: statusPaint },
    { header: 'EVENT', value: (l) => l.event?.code ?? '-', priority: 9, paint: p ? (t, l) => (l.event ? p.yellow(t) : t) : undefined },
    { header: 'WHEN', value: (l) => (l.event ? eventWhen(l.event) : '-'), priority: 9 },
    { header: 'DESCRIPTION', value: (l) => dash(l.event?.description), priority: 4, shrink: true },
  );
  const out = renderTable(lines, cols, o.width);
  return o.headers ? out : out.slice(1);
}

interface VolumeLine {
  row: ListRow;
  v?: NonNullable<ListRow['volumes']>[number];
}

/** Pure: the --volumes section: one line per attached EBS volume. */
export function renderVolumes(rows: ListRow[], o: RenderOptions): string[] {
  const lines: VolumeLine[] = rows.flatMap((row) => (row.volumes?.length ? row.volumes.map((v) => ({ row, v })) : [{ row }]));
  const cols: Column<VolumeLine>[] = [];
  if (o.regionColumn) cols.push({ header: 'REGION', value: (l) => l.row.region, priority: 6 });
  cols.push(
    { header: 'NAME', value: (l) => dash(l.row.name), priority: 10, shrink: true },
    { header: 'ID', value: (l) => l.row.id, priority: 9 },
    { header: 'VOLUME', value: (l) => l.v?.volumeId ?? '(none)', priority: 9 },
    { header: 'DEVICE', value: (l) => dash(l.v?.device), priority: 8 },
    { header: 'SIZE', value: (l) => (l.v?.sizeGiB != null ? `${l.v.sizeGiB} GiB` : '-'), priority: 8, align: 'right' },
    { header: 'TYPE', value: (l) => dash(l.v?.type), priority: 7 },
    { header: 'STATE', value: (l) => dash(l.v?.state), priority: 7 },
    { header: 'IOPS', value: (l) => dash(l.v?.iops), priority: 3, align: 'right' },
    { header: 'DELETE-ON-TERM', value: (l) => (l.v?.deleteOnTermination == null ? '-' : l.v.deleteOnTermination ? 'yes' : 'no'), priority: 4 },
  );
  const out = renderTable(lines, cols, o.width);
  return o.headers ? out : out.slice(1);
}

/** A snapshot ec2term made, as --snapshots --json prints it. */
export interface SnapshotRow {
  region: string;
  snapshotId: string;
  volumeId: string | null;
  instanceId: string | null;
  instanceName: string | null;
  device: string | null;
  sizeGiB: number | null;
  state: string | null;
  progress: string | null;
  startTime: string | null;
  description: string | null;
  managed: boolean;
  tags: Record<string, string>;
}

/** Pure: the --snapshots table. */
export function renderSnapshots(rows: SnapshotRow[], o: Pick<RenderOptions, 'regionColumn' | 'headers' | 'width' | 'paint'>): string[] {
  const cols: Column<SnapshotRow>[] = [];
  if (o.regionColumn) cols.push({ header: 'REGION', value: (r) => r.region, priority: 6 });
  cols.push(
    { header: 'SNAPSHOT', value: (r) => r.snapshotId, priority: 10 },
    { header: 'INSTANCE', value: (r) => dash(r.instanceName ?? r.instanceId), priority: 8, shrink: true },
    { header: 'DEVICE', value: (r) => dash(r.device), priority: 5 },
    { header: 'VOLUME', value: (r) => dash(r.volumeId), priority: 6 },
    { header: 'SIZE', value: (r) => (r.sizeGiB === null ? '-' : `${r.sizeGiB} GiB`), priority: 7, align: 'right' },
    { header: 'STATE', value: (r) => dash(r.state), priority: 9 },
    { header: 'PROGRESS', value: (r) => dash(r.progress), priority: 4 },
    { header: 'STARTED', value: (r) => (r.startTime ? r.startTime.replace(/\.\d{3}Z$/, 'Z') : '-'), priority: 7 },
  );
  const out = renderTable(rows, cols, o.width);
  return o.headers ? out : out.slice(1);
}
