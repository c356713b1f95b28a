// `ec2launch --hosts N --connect-to SERVER NAME`: key pair and groups as for one host, then a launch
// template (a new version when it exists) and an Auto Scaling group that launches the hosts; each host is
// named NAME-<instance id> and gets its own key from SERVER over SSH, all hosts in parallel. Running the
// same command again continues with the group: new hosts (replacements) are named and keyed too.
import { call } from '../../../lib/ec2.js';
import { awsErrorCode, Ec2termError, fromAwsError, TimeoutError } from '../../../lib/errors.js';
import { deleteFleet, groupInstances, recentActivities, spotCapacityShort, useOnDemand } from '../../../lib/fleets.js';
import { TAGS } from '../../../lib/instances.js';
import type { Output } from '../../../lib/output.js';
import { buildUserData } from '../../../lib/graphterm/userdata.js';
import { fleetHostName } from '../../../lib/graphterm/delivery.js';
import { expiresAt, userDataInput, type LaunchPlan } from '../plan.js';
import type { CommandContext, CommandResult } from '../../types.js';
import { Launcher, runRequest, type HostPrep, type HostResult, type LaunchDeps, type Preflight } from '../launcher.js';
import { groupRequest, templateData, type FleetPlan } from './plan.js';
import { FleetProgress } from './progress.js';
import { count, noun } from '../../../lib/words.js';

interface FleetCreated { templateCreated: boolean; groupCreated: boolean }

/** Creates the template, or a new version of it when it exists (the group launches $Latest). */
async function putTemplate(ctx: CommandContext, deps: LaunchDeps, f: FleetPlan, data: ReturnType<typeof templateData>, tags: Record<string, string>): Promise<{ id: string; version: number; created: boolean }> {
  const sdk = await import('@aws-sdk/client-ec2');
  const ec2 = deps.ec2.client;
  try {
    const t = (await ec2.send(new sdk.CreateLaunchTemplateCommand({
      LaunchTemplateName: f.resourceName, VersionDescription: `ec2launch --hosts ${f.hosts}`, LaunchTemplateData: data,
      TagSpecifications: [{ ResourceType: 'launch-template', Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }],
    }), { abortSignal: ctx.signal })).LaunchTemplate!;
    return { id: t.LaunchTemplateId!, version: t.LatestVersionNumber ?? 1, created: true };
  } catch (err) {
    if (awsErrorCode(err) !== 'InvalidLaunchTemplateName.AlreadyExistsException') throw fromAwsError(err, `creating the launch template ${f.resourceName}`);
  }
  const v = (await call(`adding a version to the launch template ${f.resourceName}`, () => ec2.send(new sdk.CreateLaunchTemplateVersionCommand({
    LaunchTemplateName: f.resourceName, VersionDescription: `ec2launch --hosts ${f.hosts}`, LaunchTemplateData: data,
  }), { abortSignal: ctx.signal }))).LaunchTemplateVersion!;
  return { id: v.LaunchTemplateId!, version: v.VersionNumber!, created: false };
}

export async function runFleet(ctx: CommandContext, plan: LaunchPlan, f: FleetPlan, pre: Preflight, deps: LaunchDeps): Promise<CommandResult> {
  const asgSdk = await import('@aws-sdk/client-auto-scaling');
  const asg = await deps.aws.autoScaling();
  const progress = new FleetProgress(ctx.out, ctx.clock, f.name, f.hosts);
  const launcher = new Launcher(plan, pre, deps, progress);
  const created: FleetCreated = { templateCreated: false, groupCreated: false };
  const base = pre.hosts[0]!;
  // One user-data for every host: the name comes from the instance id at boot; --ttl is the group's.
  const userData = buildUserData({ ...userDataInput(plan, base.host, pre.serverAddr), nameFromInstanceId: true, ttlMinutes: undefined });
  const tags = { ...base.tags, [TAGS.fleet]: f.name };
  const hostPrep = (id: string): HostPrep => ({ ...base, host: { name: fleetHostName(f.name, id) }, userData, tags, replace: [], adopt: undefined });
  const results = new Map<string, HostResult>();
  // Spot failures older than this run (with a minute for clock skew against AWS) are not this run's.
  const since = ctx.clock.now() - 60_000;
  const spot = { fellBack: false };
  try {
    await launcher.prepare();
    const existing = await groupInstances(asg, f.resourceName, ctx.signal);
    if (existing === undefined) {
      const req = runRequest({ ...plan, ttlMs: undefined }, pre, { ...base, userData, tags }, { keyName: plan.keyName, groupId: launcher.group?.id, memberGroupId: launcher.memberGroupId });
      const groupTags: Record<string, string> = { [TAGS.managed]: 'true', [TAGS.fleet]: f.name, [TAGS.role]: plan.role };
      const expiry = expiresAt(plan, new Date(ctx.clock.now()));
      if (expiry) groupTags[TAGS.expiresAt] = expiry;
      const t = await progress.phase({ id: 'launch-template', label: `launch template ${f.resourceName}` }, () => putTemplate(ctx, deps, f, templateData(req), groupTags));
      created.templateCreated = t.created;
      progress.note(`launch template ${f.resourceName} (${t.id}) version ${t.version}`);
      const { DescribeAvailabilityZonesCommand } = await import('@aws-sdk/client-ec2');
      const zones = ((await call('listing availability zones', () => deps.ec2.client.send(new DescribeAvailabilityZonesCommand({}), { abortSignal: ctx.signal }))).AvailabilityZones ?? [])
        .filter((z) => z.State === 'available').map((z) => z.ZoneName!);
      await progress.phase({ id: 'auto-scaling-group', label: `Auto Scaling group ${f.resourceName} of ${f.hosts}${f.spot ? ' spot' : ''} ${noun(f.hosts, 'host')}` }, () =>
        call(`creating the Auto Scaling group ${f.resourceName}`, () => asg.send(new asgSdk.CreateAutoScalingGroupCommand(groupRequest(f, t.id, zones, groupTags)), { abortSignal: ctx.signal })));
      created.groupCreated = true;
      if (expiry) {
        // --ttl for the whole fleet: the group scales itself to nothing then (a scheduled action).
        await call('scheduling the fleet\'s end (--ttl)', () => asg.send(new asgSdk.PutScheduledUpdateGroupActionCommand({
          AutoScalingGroupName: f.resourceName, ScheduledActionName: 'ec2term-ttl', StartTime: new Date(expiry), MinSize: 0, MaxSize: 0, DesiredCapacity: 0,
        }), { abortSignal: ctx.signal }));
      }
    } else progress.note(`the Auto Scaling group ${f.resourceName} exists (${count(existing.length, 'host')}); continuing with it`);

    // Each host is finished (named, running, keyed, joined) as soon as the group has launched it.
    const finishing = new Map<string, Promise<HostResult>>();
    const start = async (id: string) => {
      const prep = hostPrep(id);
      await deps.ec2.createTags([id], { [TAGS.name]: prep.host.name });
      const [info] = await deps.ec2.describeInstances({ ids: [id], states: [] });
      if (!info) throw new Ec2termError(`the group launched ${id}, but EC2 does not know it`);
      launcher.created.instances.push(info);
      const r = await launcher.finish(prep, { ...info, name: prep.host.name }, undefined);
      if (plan.wait === 'ready') await deps.ec2.createTags([id], { [TAGS.joined]: new Date(ctx.clock.now()).toISOString() });
      results.set(id, r);
      return r;
    };
    const deadline = ctx.clock.now() + plan.timeouts.running + plan.timeouts.ssh + plan.timeouts.ready;
    progress.show();
    for (;;) {
      const ids = (await groupInstances(asg, f.resourceName, ctx.signal)) ?? [];
      if (f.spot && !spot.fellBack && ids.length < f.hosts && spotCapacityShort(await recentActivities(asg, f.resourceName, ctx.signal), since)) {
        // Auto Scaling keeps retrying spot and the group stays short: the rest of the fleet is on-demand.
        await useOnDemand(asg, f.resourceName, ctx.signal);
        spot.fellBack = true;
        progress.note(`no spot capacity for ${f.name}: falling back to on-demand instances`);
      }
      for (const id of ids) if (!finishing.has(id)) finishing.set(id, start(id));
      const settled = await Promise.race([Promise.allSettled([...finishing.values()]), ctx.clock.sleep(1_000, ctx.signal).then(() => undefined)]);
      if (settled && finishing.size < f.hosts) await ctx.clock.sleep(500, ctx.signal);
      else if (settled) {
        const failed = [...finishing.keys()].filter((_, i) => settled[i]!.status === 'rejected');
        if (failed.length === 0) break;
        const errors = failed.map((id) => (settled[[...finishing.keys()].indexOf(id)] as PromiseRejectedResult).reason as Error);
        for (const [n, id] of failed.entries()) ctx.out.warn(`${fleetHostName(f.name, id)}: ${errors[n]!.message}`);
        if (errors.every((e) => e instanceof TimeoutError)) {
          throw new TimeoutError(`fleet ${f.name}`, `${failed.length} of ${count(f.hosts, 'host')} not ready in time: ${failed.map((id) => fleetHostName(f.name, id)).join(', ')}`, { hint: 'run the same ec2launch again to continue with the group, or see the hosts with ec2list' });
        }
        throw errors.find((e) => !(e instanceof TimeoutError))!;
      }
      if (ctx.clock.now() > deadline) {
        const missing = [...finishing.keys()].filter((id) => !results.has(id)).map((id) => fleetHostName(f.name, id));
        throw new TimeoutError(`fleet ${f.name}`, `timed out: ${results.size} of ${count(f.hosts, 'host')} ready${missing.length ? `; still waiting for ${missing.join(', ')}` : ''}${finishing.size < f.hosts ? `; the group launched only ${finishing.size}` : ''}`, { hint: `see the group's activities: aws autoscaling describe-scaling-activities --auto-scaling-group-name ${f.resourceName}` });
      }
    }
  } catch (err) {
    progress.done();
    await launcher.closePrimary();
    ctx.out.warn(`fleet launch failed${ctx.signal.aborted ? ' (interrupted)' : ''}; ${plan.keepOnFailure ? 'keeping' : 'removing'} what this run created`);
    if (!plan.keepOnFailure) {
      const lines = await deleteFleet(deps.cleanup.ec2, asg, f.resourceName, { clock: ctx.clock, warn: (t) => ctx.out.warn(t) }, { group: created.groupCreated, template: created.templateCreated });
      for (const l of lines) ctx.out.error(l);
    }
    for (const l of await launcher.undo(plan.keepOnFailure)) ctx.out.error(l);
    throw err;
  }
  progress.done();
  await launcher.closePrimary();
  return fleetResult(f, plan, [...results.values()], progress, deps.aws.region, deps.aws.local?.flag, spot.fellBack);
}

/** --dry-run with --hosts: one host's plan (what the template holds), and the template and group to come. */
export function fleetDryRun(host: CommandResult, f: FleetPlan): CommandResult {
  const fleet = { template: f.resourceName, group: f.resourceName, hosts: f.hosts, spot: f.spot, names: `${f.name}-<instance id>` };
  return {
    json: { ...(host.json as object), fleet },
    render: (out) => {
      host.render?.(out);
      out.line(`  fleet:           launch template ${f.resourceName} (this host's request, a new version if it exists) and Auto Scaling group ${f.resourceName} of ${f.hosts}${f.spot ? ' spot' : ''} ${noun(f.hosts, 'host')} named ${fleet.names}`);
    },
  };
}

function fleetResult(f: FleetPlan, plan: LaunchPlan, results: HostResult[], progress: FleetProgress, region: string, targetFlag: string | undefined, fellBackToOnDemand: boolean): CommandResult {
  const sb = targetFlag ? ` ${targetFlag}` : '';
  const hosts = results.map((r) => ({
    instanceId: r.instance.id, name: r.instance.name ?? null, state: r.instance.state, publicIp: r.instance.publicIp ?? null, privateIp: r.instance.privateIp ?? null,
    keyDelivered: r.authCodeDelivered, setupStatus: r.setup ?? null, ssh: `ec2ssh${sb} ${plan.user}@${r.instance.name ?? r.instance.id}`,
  })).sort((a, b) => String(a.name).localeCompare(String(b.name)));
  const json = {
    ok: true, fleet: { name: f.name, group: f.resourceName, template: f.resourceName, hosts: f.hosts, spot: f.spot, ...(f.spot ? { fellBackToOnDemand } : {}), region, connectTo: plan.connectTo },
    instances: hosts, wait: plan.wait, counts: progress.counts, phases: progress.timer.toJSON(),
  };
  const render = (out: Output) => {
    out.line(`${out.paint.bold(`fleet ${f.name}`)}  Auto Scaling group ${f.resourceName}  ${count(f.hosts, 'host')}${f.spot ? (fellBackToOnDemand ? ' (spot, fell back to on-demand)' : ' (spot)') : ''}  ${region}  joining ${plan.connectTo}`);
    for (const h of hosts) out.line(`  ${h.name}  ${h.instanceId}  ${h.state}  ${h.publicIp ?? ''}${h.keyDelivered ? '  key delivered' : ''}${h.setupStatus ? `  ${h.setupStatus}` : ''}`);
    out.line(progress.line());
  };
  return { json, render };
}
