// Pure: commander's loose options + positional words -> ec2list's checked options. Every usage error is
// raised here, before any AWS request.
import { UsageError } from '../../lib/errors.js';
import { parseRegionList, SNAPSHOT_ID } from '../../lib/ids.js';
import type { CommandOptions, GlobalOptions } from '../types.js';
import { parseDuration } from '../../lib/wait.js';
import { isWildcard } from '../../lib/resolve.js';

export type ActionKind = 'stop' | 'start' | 'terminate' | 'terminate-all' | 'expired' | 'snapshot' | 'delete-snapshot';
export type OutputFormat = 'table' | 'tsv' | 'json';
export type SortKey = 'name' | 'age' | 'state' | 'type' | 'expires' | 'region';

/** Actions that destroy or interrupt something: they show a plan and need consent. */
export const DESTRUCTIVE: ReadonlySet<ActionKind> = new Set(['stop', 'terminate', 'terminate-all', 'expired', 'delete-snapshot']);

export interface ListAction {
  kind: ActionKind;
  /** Names (or snapshot ids) given after the action; empty means "pick" (or "all" for terminate-all/expired). */
  names: string[];
}

export interface ListOptions {
  patterns: string[];
  /** undefined: the current region only; 'all': every enabled region; else the listed ones. */
  regions?: string[] | 'all';
  includeTerminated: boolean;
  output: OutputFormat;
  wide: boolean;
  headers: boolean;
  sort?: SortKey;
  health: boolean;
  volumes: boolean;
  snapshots: boolean;
  watch: boolean;
  intervalMs: number;
  action?: ListAction;
  force: boolean;
  includeUnmanaged: boolean;
  yes: boolean;
  dryRun: boolean;
  wait: boolean;
  timeoutMs: number;
}

const SORT_KEYS: SortKey[] = ['name', 'age', 'state', 'type', 'expires', 'region'];
const ACTION_FLAGS: [string, ActionKind][] = [
  ['stop', 'stop'],
  ['start', 'start'],
  ['terminate', 'terminate'],
  ['terminateAll', 'terminate-all'],
  ['expired', 'expired'],
  ['snapshot', 'snapshot'],
  ['deleteSnapshot', 'delete-snapshot'],
];

function flagOf(kind: ActionKind): string {
  return `--${kind}`;
}

function duration(text: unknown, flag: string): number {
  const ms = typeof text === 'string' ? parseDuration(text) : undefined;
  if (ms === undefined) throw new UsageError(`bad ${flag} "${String(text)}": expected a duration such as 30s, 5m or 1h`);
  return ms;
}

function regionsOf(value: string | undefined): string[] | 'all' | undefined {
  return value === undefined ? undefined : parseRegionList(value);
}

/** Pure: checks and combines everything the user typed. */
export function parseListOptions(args: string[], o: CommandOptions, global: GlobalOptions): ListOptions {
  const given = ACTION_FLAGS.filter(([key]) => o[key] !== undefined && o[key] !== false);
  if (given.length > 1) {
    throw new UsageError(`choose one action at a time: ${given.map(([, k]) => flagOf(k)).join(', ')}`);
  }
  let action: ListAction | undefined;
  if (given.length === 1) {
    const [key, kind] = given[0];
    const value = o[key];
    const names = Array.isArray(value) ? value.map(String) : typeof value === 'string' ? [value] : [];
    action = { kind, names: [...new Set(names)] };
    if (kind === 'delete-snapshot') {
      const bad = names.find((n) => !SNAPSHOT_ID.test(n));
      if (bad !== undefined) throw new UsageError(`bad snapshot id "${bad}": expected snap- and 8 or 17 hex digits`);
    }
  }

  const output: OutputFormat = global.json ? 'json' : ((o.output as OutputFormat | undefined) ?? 'table');
  if (global.json && o.output && o.output !== 'json') throw new UsageError(`--json and --output ${o.output} disagree; choose one`);
  const sort = o.sort as string | undefined;
  if (sort !== undefined && !SORT_KEYS.includes(sort as SortKey)) {
    throw new UsageError(`bad --sort "${sort}": expected one of ${SORT_KEYS.join(', ')}`);
  }
  for (const p of args) {
    if (p === '' || p.length > 253 || /[\u0000-\u001f]/.test(p)) throw new UsageError(`bad PATTERN "${p.slice(0, 40)}"`);
  }

  const opts: ListOptions = {
    patterns: args,
    regions: regionsOf(global.region),
    includeTerminated: Boolean(o.all),
    output,
    wide: Boolean(o.wide),
    headers: o.headers !== false,
    sort: sort as SortKey | undefined,
    health: Boolean(o.health),
    volumes: Boolean(o.volumes),
    snapshots: Boolean(o.snapshots),
    watch: Boolean(o.watch),
    intervalMs: duration(o.interval ?? '5s', '--interval'),
    action,
    force: Boolean(o.force),
    includeUnmanaged: Boolean(o.includeUnmanaged),
    yes: Boolean(o.yes),
    dryRun: Boolean(o.dryRun),
    wait: Boolean(o.wait),
    timeoutMs: duration(o.timeout ?? '15m', '--timeout'),
  };

  if (opts.force && action?.kind !== 'stop') throw new UsageError('--force goes with --stop');
  if (opts.includeUnmanaged && action?.kind !== 'terminate-all' && action?.kind !== 'delete-snapshot') {
    throw new UsageError('--include-unmanaged goes with --terminate-all or --delete-snapshot');
  }
  if (opts.watch) {
    if (action) throw new UsageError('--watch only lists; it cannot be combined with an action');
    if (output !== 'table') throw new UsageError('--watch redraws a table; it cannot be combined with --json or --output tsv');
    if (opts.snapshots) throw new UsageError('--watch cannot be combined with --snapshots');
    if (opts.intervalMs < 1000) throw new UsageError('--interval must be at least 1s');
  }
  if (opts.snapshots && (opts.volumes || opts.health)) throw new UsageError('--snapshots lists snapshots; --volumes and --health go with the instance list');
  if (opts.snapshots && action) throw new UsageError(`--snapshots lists snapshots; run ${flagOf(action.kind)} separately`);
  if (!action && (opts.yes || opts.dryRun || opts.wait)) {
    const flag = opts.yes ? '--yes' : opts.dryRun ? '--dry-run' : '--wait';
    throw new UsageError(`${flag} goes with an action (--stop, --start, --terminate, --terminate-all, --expired, --snapshot, --delete-snapshot)`);
  }
  // `ec2list lab --terminate` names lab, as `ec2list --terminate lab` does; wildcards still pick among matches.
  if (action && action.names.length === 0 && NAMED_ACTIONS.includes(action.kind) && opts.patterns.length > 0 && !opts.patterns.some(isWildcard)) {
    action.names = [...new Set(opts.patterns)];
    opts.patterns = [];
  }
  if (action && action.names.length > 0 && opts.patterns.length > 0) {
    throw new UsageError(`give either names after ${flagOf(action.kind)} or PATTERNs to pick from, not both`);
  }
  if (action?.kind === 'delete-snapshot' && action.names.length === 0) throw new UsageError('--delete-snapshot needs a snapshot id');
  return opts;
}

/** Actions on chosen instances: by name, or picked on a terminal. */
const NAMED_ACTIONS: ActionKind[] = ['stop', 'start', 'terminate', 'snapshot'];

/** Does the action need a picker (no names given, and it acts on chosen instances)? */
export function needsPicker(action: ListAction): boolean {
  return action.names.length === 0 && NAMED_ACTIONS.includes(action.kind);
}

/**
 * Pure: consent and terminal checks that must pass before any AWS request, so a refused run changes
 * nothing. Without a terminal: a destructive action needs --yes (or --dry-run), and an action without
 * names cannot offer a picker.
 */
export function checkConsent(opts: ListOptions, interactive: boolean): void {
  const action = opts.action;
  if (!action || interactive) return;
  if (needsPicker(action)) {
    throw new UsageError(`${flagOf(action.kind)} needs a NAME when there is no terminal to pick on`, {
      hint: `ec2list ${flagOf(action.kind)} NAME${DESTRUCTIVE.has(action.kind) ? ' --yes' : ''}`,
    });
  }
  if (DESTRUCTIVE.has(action.kind) && !opts.yes && !opts.dryRun) {
    throw new UsageError(`${flagOf(action.kind)} changes AWS and there is no terminal to confirm on: add --yes (or --dry-run to see the plan)`);
  }
}
