// ec2list and fleets (ec2launch --hosts): --fleets lists them (desired / in service / joined, hosts under
// each), --scale NAME=N resizes one (asking on shrink), --terminate NAME on a fleet deletes its Auto Scaling
// group (waiting for its instances) and launch template, idempotently.
import type { Ec2 } from '../../lib/ec2.js';
import { CancelledError, NotFoundError, UsageError } from '../../lib/errors.js';
import type { Fleet } from '../../lib/fleets.js';
import { TAGS } from '../../lib/instances.js';
import type { Output } from '../../lib/output.js';
import { forTerminal } from '../../lib/untrusted.js';
import type { CommandContext, CommandOptions, CommandResult } from '../types.js';
import type { ListOptions } from './options.js';
import { count } from '../../lib/words.js';

const SCALE = /^([a-z0-9][a-z0-9-]*)=(\d{1,3})$/;

/** Pure: --scale NAME=N. */
export function parseScale(value: string): { name: string; hosts: number } {
  const m = SCALE.exec(value);
  if (!m || Number(m[2]) > 100) throw new UsageError(`bad --scale ${JSON.stringify(value)}: expected NAME=N, the fleet's name and 0 to 100 hosts`);
  return { name: m[1]!, hosts: Number(m[2]) };
}

async function confirmOrRefuse(ctx: CommandContext, opts: { yes: boolean }, question: string, flag: string): Promise<void> {
  if (opts.yes) return;
  if (!ctx.prompt.interactive) throw new UsageError(`${flag} changes AWS and there is no terminal to confirm on: add --yes (or --dry-run to see the plan)`);
  if (!(await ctx.prompt.confirm(question, { default: false }))) throw new CancelledError('nothing changed');
}

/** --scale NAME=N (an action of its own: the other list options do not apply). */
export async function scaleFleet(ctx: CommandContext, options: CommandOptions): Promise<CommandResult> {
  const { name, hosts } = parseScale(String(options.scale));
  const opts = { yes: Boolean(options.yes), dryRun: Boolean(options.dryRun) };
  const api = await ctx.fleets();
  const fleets = await api.list();
  const f = fleets.find((x) => x.name === name);
  if (!f) throw new NotFoundError(`no fleet named ${name}`, fleets.map((x) => x.name), { hint: 'ec2list --fleets lists them' });
  const plan = `fleet ${name}: ${f.desired} -> ${count(hosts, 'host')}`;
  if (opts.dryRun) return { json: { dryRun: true, fleet: name, from: f.desired, to: hosts }, render: (out) => out.line(`Dry run: nothing was changed. ${plan}`) };
  if (hosts < f.desired) await confirmOrRefuse(ctx, opts, `Shrink ${plan}, terminating ${f.desired - hosts}?`, '--scale (shrinking)');
  await api.resize(f, hosts);
  return { json: { dryRun: false, fleet: name, from: f.desired, to: hosts }, render: (out) => out.line(plan) };
}

/** --fleets, and --terminate NAME when NAME is a fleet; undefined when the command is not about fleets. */
export async function fleetCommand(ctx: CommandContext, opts: ListOptions, options: CommandOptions): Promise<CommandResult | undefined> {
  const terminating = opts.action?.kind === 'terminate' ? opts.action.names : [];
  if (!options.fleets && terminating.length === 0) return undefined;
  const api = await ctx.fleets();
  const fleets = await api.list();
  const find = (name: string) => fleets.find((f) => f.name === name);

  if (terminating.length > 0) {
    // A fleet whose group is gone may have left its template: a name with either is a fleet.
    const templates = await api.templateNames();
    const isFleet = (n: string) => !!find(n) || templates.has(n);
    const named = terminating.filter(isFleet);
    if (named.length === 0) return undefined;
    if (named.length < terminating.length) throw new UsageError(`--terminate: ${terminating.filter((n) => !isFleet(n)).join(', ')} ${named.length === 1 ? 'is' : 'are'} not a fleet; terminate fleets and instances in separate commands`);
    const what = named.map((n) => `fleet ${n}${find(n) ? ` (${count(find(n)!.instances.length, 'host')})` : ' (its launch template)'}`).join(', ');
    if (opts.dryRun) return { json: { dryRun: true, fleets: named, deleted: [], steps: [] }, render: (out) => out.line(`Dry run: nothing was changed. Would delete ${what}`) };
    await confirmOrRefuse(ctx, opts, `Delete ${what}, terminating its hosts?`, '--terminate');
    const lines: string[] = [];
    for (const n of named) lines.push(...(await api.remove(find(n)?.group ?? `ec2term-${n}`, { clock: ctx.clock, warn: (t) => ctx.out.warn(t) })));
    return { json: { dryRun: false, fleets: named, deleted: named, steps: lines }, render: (out) => { for (const l of lines) out.line(l); } };
  }

  const joined = await joinedHosts(await ctx.ec2(), fleets);
  const rows = fleets.map((f) => ({
    name: f.name, group: f.group, desired: f.desired, inService: f.instances.filter((i) => i.lifecycle === 'InService').length,
    joined: f.instances.filter((i) => joined.has(i.id)).length, deleting: f.deleting,
    hosts: f.instances.map((i) => ({ instanceId: i.id, lifecycle: i.lifecycle, joined: joined.has(i.id) })),
  }));
  return { json: { fleets: rows.map((r) => ({ ...r, hosts: r.hosts.map((h) => h.instanceId), members: r.hosts })) }, render: (out) => renderFleets(out, rows) };
}

/** Hosts ec2launch saw listed by their server (it tags them ec2term:joined). */
async function joinedHosts(ec2: Ec2, fleets: Fleet[]): Promise<Set<string>> {
  const ids = fleets.flatMap((f) => f.instances.map((i) => i.id));
  if (ids.length === 0) return new Set();
  const found = await ec2.describeInstances({ filters: [{ Name: 'tag-key', Values: [TAGS.joined] }] });
  return new Set(found.filter((i) => ids.includes(i.id)).map((i) => i.id));
}

function renderFleets(out: Output, rows: { name: string; desired: number; inService: number; joined: number; deleting: boolean; hosts: { instanceId: string; lifecycle: string; joined: boolean }[] }[]): void {
  if (rows.length === 0) { out.line('no fleets (ec2launch --hosts N --connect-to SERVER NAME makes one)'); return; }
  for (const r of rows) {
    out.line(`fleet ${forTerminal(r.name)}  ${r.desired} desired, ${r.inService} in service, ${r.joined} joined${r.deleting ? '  (deleting)' : ''}`);
    for (const h of r.hosts) out.line(`  ${forTerminal(`${r.name}-${h.instanceId.replace(/^i-/, '')}`)}  ${h.instanceId}  ${forTerminal(h.lifecycle)}${h.joined ? '  joined' : ''}`);
  }
}
