// ec2launch's preflight: reads only. The image, the subnet, the hosted zone, the --connect-to primary and,
// for each host, its user-data, tags, idempotency token and the live instances of its name (adopted when
// an earlier run of the same command launched them, replaced with --replace, refused otherwise).
import { hostname } from 'node:os';
import type { AwsContext } from '../../lib/aws.js';
import type { Dns, HostedZone } from '../../lib/dns.js';
import type { Ec2 } from '../../lib/ec2.js';
import { NotFoundError, UsageError } from '../../lib/errors.js';
import { LIVE_STATES, TAGS, type InstanceInfo } from '../../lib/instances.js';
import { resolveInstance } from '../../lib/resolve.js';
import { buildUserData } from '../../lib/graphterm/userdata.js';
import type { CommandContext } from '../types.js';
import { findImage, type ImageChoice } from './image.js';
import { defaultClientToken, instanceTags, userDataInput, utcDay, type HostPlan, type LaunchPlan } from './plan.js';
import { resolvePlacement, type ResolvedPlacement } from './placement.js';

export interface LaunchDeps {
  ctx: CommandContext;
  aws: AwsContext;
  /** Requests abort on Ctrl-C. */
  ec2: Ec2;
  dns?: Dns;
  /** Used for the undo: not tied to ctx.signal, so it still works after Ctrl-C. */
  cleanup: { ec2: Ec2; dns?: Dns };
}

export interface HostPrep {
  host: HostPlan;
  userData: string;
  tags: Record<string, string>;
  /** The request without ClientToken, key and group ids (those are added at launch). */
  token: string;
  tokenGiven: boolean;
  /** Live instances of this name launched by an earlier run of this same command (same token). */
  adopt?: InstanceInfo;
  /** Live instances of this name to terminate first (--replace). */
  replace: InstanceInfo[];
}

export interface Preflight {
  image: ImageChoice;
  zone?: HostedZone;
  /** The domain whose zone is missing and will be created (--create-zone). */
  zoneToCreate?: string;
  serverAddr?: string;
  /** --connect-to: the primary instance, asked over SSH for each host's key and its host list. */
  primary?: InstanceInfo;
  hosts: HostPrep[];
  /** The subnet and VPC (--subnet, --vpc), looked up; the default VPC otherwise. */
  placement: ResolvedPlacement;
}

/** user@host of this run, for the tag ec2term:launched-by (bulk terminations show it). */
export function launchedBy(env: NodeJS.ProcessEnv): string {
  const user = env.USER || env.LOGNAME || env.USERNAME || 'unknown';
  return `${user}@${hostname()}`.slice(0, 255);
}

const pendingOnly = (i: InstanceInfo) => (LIVE_STATES as string[]).includes(i.state) && i.state !== 'shutting-down';

/** Reads only: image, hosted zone, live instances of the same names, the primary for --connect-to. */
export async function preflight(plan: LaunchPlan, deps: LaunchDeps): Promise<Preflight> {
  const { ec2, dns, ctx } = deps;
  const [image, placement] = await Promise.all([findImage(ec2, plan.ami, plan.instanceType), resolvePlacement(ec2, plan.placement)]);
  if (plan.placement.noKeyPair) {
    const { instanceConnectAgent, AGENT_IMAGES } = await import('../../lib/access/instance-connect.js');
    const agent = instanceConnectAgent(image.name);
    const what = `--no-key-pair: the image ${image.id} (${image.name || 'no name'})`;
    if (agent === 'no') throw new UsageError(`${what} has no EC2 Instance Connect agent, so nothing could log in to it`, { hint: `use an image of ${AGENT_IMAGES}, or drop --no-key-pair` });
    if (agent === 'unknown') ctx.out.warn(`${what} is not known to run the EC2 Instance Connect agent (${AGENT_IMAGES} do); logins may be refused`);
  }

  let zone: HostedZone | undefined;
  let zoneToCreate: string | undefined;
  if (plan.domain && dns) {
    const found = await dns.findZoneFor(plan.hosts[0]!.name);
    if (found && found.name !== plan.hosts[0]!.name) zone = found;
    else if (plan.createZone) zoneToCreate = plan.domain;
    else {
      throw new NotFoundError(`no Route 53 hosted zone for ${plan.domain}`, [], {
        hint: `add --create-zone to create it (then delegate the domain to the name servers it prints), or launch without a domain: ec2launch ${plan.hosts[0]!.name.split('.')[0]}`,
      });
    }
  }

  let serverAddr: string | undefined;
  let primaryInstance: InstanceInfo | undefined;
  if (plan.connectTo) {
    try {
      const primary = await resolveInstance(plan.connectTo, { ec2, prompt: ctx.prompt }, { states: ['running', 'pending'], purpose: 'connect to' });
      // Same VPC: the private address keeps port 8899 off the internet.
      serverAddr = primary.privateIp ?? primary.publicIp ?? plan.connectTo;
      primaryInstance = primary;
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
      serverAddr = plan.connectTo;
      ctx.out.detail(`--connect-to ${plan.connectTo}: no instance of that name; using it as the server address`);
    }
  }

  const hosts: HostPrep[] = [];
  const identityCertificate = plan.acceptHosts ? await (await import('./fleet/join.js')).joinCertificate(deps.aws, ctx.out) : undefined;
  for (const host of plan.hosts) {
    const userData = buildUserData({ ...userDataInput(plan, host, serverAddr), identityCertificate });
    const tags = { ...instanceTags(plan, host), [TAGS.launchedBy]: launchedBy(ctx.io.env) };
    // The token covers what the launch asks EC2 for (not the random auth code, which is not in it).
    const where = { ...(placement.subnetId ? { subnet: placement.subnetId } : {}), ...(plan.placement.iamProfile ? { profile: plan.placement.iamProfile } : {}) };
    const request = { image: image.id, type: plan.instanceType, key: plan.placement.noKeyPair ? null : plan.keyName, group: plan.securityGroup.name, userData, tags, volume: plan.volumeSize, data: plan.dataVolume, ttl: plan.ttlMs, ...where };
    const token = plan.clientToken ?? defaultClientToken(request, utcDay(ctx.clock.now()));
    const live = (await ec2.describeInstances({ filters: [{ Name: 'tag:Name', Values: [host.name] }] })).filter(pendingOnly);
    let adopt: InstanceInfo | undefined;
    let replace: InstanceInfo[] = [];
    if (live.length > 0) {
      const ours = await ec2.describeInstances({ filters: [{ Name: 'client-token', Values: [token] }] });
      adopt = live.find((i) => ours.some((o) => o.id === i.id));
      const others = live.filter((i) => i !== adopt);
      if (others.length > 0 && !plan.replace) {
        throw new UsageError(`an instance named ${host.name} already exists: ${others.map((i) => `${i.id} (${i.state})`).join(', ')}`, {
          hint: `choose another name, or add --replace to terminate it and launch a new one (ec2list ${host.name} shows it)`,
        });
      }
      replace = others;
    }
    hosts.push({ host, userData, tags, token, tokenGiven: plan.clientToken !== undefined, adopt, replace });
  }
  return { image, zone, zoneToCreate, serverAddr, primary: primaryInstance, hosts, placement };
}
