// What a plan gives each instance, pure: its user-data input, its tags, its expiry and its ClientToken.
import { createHash } from 'node:crypto';
import { TAGS } from '../../../lib/instances.js';
import type { UserDataInput } from '../../../lib/graphterm/userdata.js';
import { graphtermHostName } from '../../../lib/graphterm/delivery.js';
import type { HostPlan, LaunchPlan } from './types.js';

/** Pure: the user-data input for one host of the plan. `serverAddr` is the resolved primary (host mode). */
export function userDataInput(plan: LaunchPlan, host: HostPlan, serverAddr?: string): UserDataInput {
  return {
    name: host.name,
    dnsName: host.dnsName,
    role: plan.role,
    user: plan.user,
    aptPackages: plan.aptPackages,
    pipPins: plan.pipPins,
    pipPackages: plan.pipPackages,
    graphterm: plan.graphterm,
    acceptHosts: plan.acceptHosts,
    hostName: plan.role === 'host' ? graphtermHostName(host.name) : undefined,
    serverAddr: plan.role === 'host' ? (serverAddr ?? plan.connectTo) : undefined,
    ttlMinutes: plan.ttlMs === undefined ? undefined : plan.ttlMs / 60_000,
    dataVolume: plan.dataVolume ? { device: '/dev/sdf', mountPoint: '/data', format: plan.dataVolume.snapshotId === undefined } : undefined,
  };
}

/** Pure: the short launch-parameter summary kept in the ec2term:launch tag (<= 255 characters). */
export function launchTag(plan: LaunchPlan): string {
  const parts = [plan.role, plan.instanceType];
  if (plan.packagesSummary.length) parts.push(plan.packagesSummary.join('+'));
  if (plan.graphterm.https) parts.push('https');
  if (plan.connectTo) parts.push(`to=${plan.connectTo}`);
  if (plan.authCode.kind === 'none' && plan.role === 'server') parts.push(plan.graphtermPortOpen ? 'open' : 'tunnel');
  return parts.join(' ').slice(0, 255);
}

/** Pure: every tag an instance gets at launch (expires-at is added once the launch time is known). */
export function instanceTags(plan: LaunchPlan, host: HostPlan): Record<string, string> {
  return {
    ...plan.tags,
    [TAGS.name]: host.name,
    [TAGS.managed]: 'true',
    [TAGS.user]: plan.user,
    [TAGS.role]: plan.role,
    [TAGS.launch]: launchTag(plan),
  };
}

/** Pure: the expiry time for --ttl from the launch time. */
export function expiresAt(plan: LaunchPlan, launchTime: Date): string | undefined {
  return plan.ttlMs === undefined ? undefined : new Date(launchTime.getTime() + plan.ttlMs).toISOString();
}

/**
 * Pure: the default ClientToken: a hash of the RunInstances request itself (without the token), the
 * UTC day and a generation number (bumped when EC2 hands back an instance that already ended, so a
 * new launch after a cleaned-up failure is possible). Same command, same day -> same token -> EC2
 * returns the first launch instead of making a second one.
 */
export function defaultClientToken(request: unknown, day: string, generation = 0): string {
  const h = createHash('sha256').update(JSON.stringify(request)).update(`\0${day}\0${generation}`).digest('hex');
  return `ec2term-${h.slice(0, 48)}`;
}

/** Pure: the UTC day of a time, "2026-01-01". */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}
