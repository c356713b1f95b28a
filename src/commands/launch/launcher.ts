// ec2launch's steps with side effects: preflight (reads only), dry run (reads + EC2 DryRun), and the
// launch itself, which records everything it creates so a failure or Ctrl-C can undo exactly that.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { RunInstancesCommandInput } from '@aws-sdk/client-ec2';
import type { AwsContext } from '../../lib/aws.js';
import type { Dns, HostedZone } from '../../lib/dns.js';
import { call, type Ec2 } from '../../lib/ec2.js';
import { awsErrorCode, CancelledError, Ec2termError, fromAwsError, NotFoundError, UsageError } from '../../lib/errors.js';
import { LIVE_STATES, TAGS, type InstanceInfo } from '../../lib/instances.js';
import { deleteKeyPair, ensureKeyPair, keyPairExists, type KeyPairOutcome } from '../../lib/keypairs.js';
import { resolveInstance } from '../../lib/resolve.js';
import { deleteSecurityGroup, dryRunCheck, ensureSecurityGroup, findGroup, groupSummary, type GroupOutcome } from '../../lib/security-groups.js';
import { dashify, WRAPPER_PATH } from '../../lib/graphterm/wrapper.js';

/** The start script over SSH: found on PATH after its folder (so a local target's instance copy is found too). */
const WRAPPER_COMMAND = `PATH=${WRAPPER_PATH.slice(0, WRAPPER_PATH.lastIndexOf('/'))}:$PATH ${WRAPPER_PATH.slice(WRAPPER_PATH.lastIndexOf('/') + 1)}`;
import { buildUserData, UNIT_NAME, userDataForEc2 } from '../../lib/graphterm/userdata.js';
import { authCodeDeliveryScript, graphtermHostName, hostAuthFile, parseDeliveredAuthCode, serverAuthFile } from '../../lib/graphterm/delivery.js';
import { CLEANUP_RETRY_MS, formatDuration, persistentCleanup, pollUntil, waitForInstanceState, waitForTcpPort } from '../../lib/wait.js';
import { shellQuote } from '../../lib/shellquote.js';
import type { CommandContext } from '../types.js';
import { findImage, type ImageChoice } from './image.js';
import { defaultClientToken, expiresAt, HOST_GROUP, instanceTags, userDataInput, utcDay, type HostPlan, type LaunchPlan, type SecurityGroupPlan } from './plan.js';
import type { Progress } from './progress.js';
import { attachElasticIp, checkElasticIp, placementRequest, resolvePlacement, type ResolvedPlacement } from './placement.js';
import { count } from '../../lib/words.js';

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

/** Everything this run created, in order, so that undo removes exactly that. */
export interface Created {
  zone?: { id: string; name: string; nameServers: string[] };
  keyPair?: KeyPairOutcome;
  group?: GroupOutcome;
  /** Groups made as rule sources (the hosts' group of a primary), removed after `group`. */
  sourceGroups: GroupOutcome[];
  instances: InstanceInfo[];
  records: { zoneId: string; name: string; values: string[] }[];
}

export interface HostResult {
  instance: InstanceInfo;
  dnsName?: string;
  sshOk: boolean;
  setup?: string;
  copied: string[];
  authCodeDelivered: boolean;
  /** The auth code in force on the instance after delivery (an earlier run's, when it was there first). */
  authCode?: string;
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
  const [image, placement] = await Promise.all([findImage(ec2, plan.ami, plan.instanceType), resolvePlacement(ec2, plan.placement, ctx.signal)]);
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

function blockDevices(plan: LaunchPlan, image: ImageChoice): RunInstancesCommandInput['BlockDeviceMappings'] {
  const out: NonNullable<RunInstancesCommandInput['BlockDeviceMappings']> = [];
  if (plan.volumeSize) out.push({ DeviceName: image.rootDevice, Ebs: { VolumeSize: plan.volumeSize, VolumeType: 'gp3', DeleteOnTermination: true } });
  if (plan.dataVolume) {
    out.push({
      DeviceName: '/dev/sdf',
      Ebs: { VolumeSize: plan.dataVolume.sizeGb, SnapshotId: plan.dataVolume.snapshotId, VolumeType: 'gp3', DeleteOnTermination: true },
    });
  }
  return out.length ? out : undefined;
}

/** The RunInstances request for one host. */
export function runRequest(plan: LaunchPlan, pre: Preflight, prep: HostPrep, ids: { keyName?: string; groupId?: string; memberGroupId?: string }): RunInstancesCommandInput {
  const volumeTags = [
    ...Object.entries(plan.tags).map(([Key, Value]) => ({ Key, Value })),
    { Key: TAGS.managed, Value: 'true' },
    { Key: TAGS.name, Value: prep.host.name },
  ];
  return {
    ImageId: pre.image.id,
    InstanceType: plan.instanceType as RunInstancesCommandInput['InstanceType'],
    MinCount: 1,
    MaxCount: 1,
    KeyName: plan.placement.noKeyPair ? undefined : ids.keyName,
    SecurityGroupIds: ids.groupId ? [ids.groupId, ...(ids.memberGroupId ? [ids.memberGroupId] : [])] : undefined,
    UserData: userDataForEc2(prep.userData),
    ...placementRequest(plan.placement, pre.placement),
    BlockDeviceMappings: blockDevices(plan, pre.image),
    InstanceInitiatedShutdownBehavior: plan.ttlMs !== undefined ? 'terminate' : undefined,
    MetadataOptions: { HttpTokens: 'required', HttpEndpoint: 'enabled', HttpPutResponseHopLimit: 1 },
    TagSpecifications: [
      { ResourceType: 'instance', Tags: Object.entries(prep.tags).map(([Key, Value]) => ({ Key, Value })) },
      { ResourceType: 'volume', Tags: volumeTags },
    ],
  };
}

export interface DryRunReport {
  /** Undefined with --no-key-pair. */
  keyPair?: KeyPairOutcome;
  group: GroupOutcome;
  /** "ok" when EC2's DryRun said RunInstances would succeed; else why it was not checked. */
  runInstancesCheck: string;
}

/** The plan's key pair, found, imported or created (or only checked, with dryRun). */
function ensurePlanKeyPair(plan: LaunchPlan, { ec2, ctx, aws }: LaunchDeps, dryRun: boolean) {
  return ensureKeyPair(ec2, {
    env: ctx.io.env,
    location: { keyName: plan.keyName, region: aws.region, keyDir: aws.local?.keyDir },
    importPublicKey: plan.importKey,
    dryRun,
    signal: ctx.signal,
  });
}

/** The plan's security group, found, completed or created (or only checked, with dryRun): one path for both. */
async function planGroup(plan: LaunchPlan, deps: LaunchDeps, dryRun: boolean, vpcId: string | undefined, created?: (g: GroupOutcome) => void): Promise<GroupOutcome> {
  const spec = await resolveSourceGroups(plan, deps, dryRun, created, vpcId);
  return ensureSecurityGroup(deps.ec2, { ...spec, vpcId }, { widen: !plan.allowFromDefaulted, dryRun, signal: deps.ctx.signal });
}

/** Pure: the warnings about a group the launch uses as it is (rules it lacks, rules beyond the plan's). */
export function groupWarnings(group: GroupOutcome): string[] {
  return [
    ...group.missing.map((m) => `${group.name} does not allow port ${m.port} from ${m.cidr}; left as it is (pass --allow-from ${m.cidr} to open it)`),
    ...(group.extra.length ? [`${group.name} also lets in ${group.extra.join(', ')} (not ec2term's rules; left as they are)`] : []),
  ];
}

/** The hosts' membership group (HOST_GROUP): no rules; found, or created (not in a dry run). */
async function hostGroupId(deps: LaunchDeps, dryRun: boolean, created?: (g: GroupOutcome) => void, vpcId?: string): Promise<string | undefined> {
  const found = await findGroup(deps.ec2, HOST_GROUP, deps.ctx.signal, vpcId);
  if (found?.GroupId || dryRun) return found?.GroupId;
  const g = await ensureSecurityGroup(deps.ec2, { name: HOST_GROUP, description: 'ec2term: GraphTerm secondary hosts (lets nothing in; names them for the primary\'s 8899)', rules: [], exact: false, vpcId },
    { widen: false, dryRun: false, signal: deps.ctx.signal });
  if (g.created) created?.(g);
  return g.id;
}

/** The plan's group with its source-group rules (8899 from the hosts' group) turned into group ids. */
export async function resolveSourceGroups(plan: LaunchPlan, deps: LaunchDeps, dryRun: boolean, created?: (g: GroupOutcome) => void, vpcId?: string): Promise<SecurityGroupPlan> {
  const rules = [];
  for (const r of plan.securityGroup.rules) {
    if (!r.fromGroup) {
      rules.push(r);
      continue;
    }
    const id = await hostGroupId(deps, dryRun, created, vpcId);
    if (id) rules.push({ ...r, cidrs: [id] });
  }
  return { ...plan.securityGroup, rules };
}

/** Dry run: reads plus EC2's DryRun checks; nothing is created and no file is written. */
export async function dryRun(plan: LaunchPlan, pre: Preflight, deps: LaunchDeps): Promise<DryRunReport> {
  const { ec2, ctx, aws } = deps;
  const keyPair = plan.placement.noKeyPair ? undefined : await ensurePlanKeyPair(plan, deps, true);
  const group = await planGroup(plan, deps, true, pre.placement.vpcId);
  await checkElasticIp(ec2, plan.placement, ctx.signal);
  const sdk = await import('@aws-sdk/client-ec2');
  const req = runRequest(plan, pre, pre.hosts[0]!, { keyName: keyPair?.wouldCreate ? undefined : plan.keyName, groupId: group.id });
  let runInstancesCheck = 'ok (EC2 DryRun: the request would succeed)';
  await dryRunCheck('checking the launch (DryRun)', () => ec2.client.send(new sdk.RunInstancesCommand({ ...req, DryRun: true }), { abortSignal: ctx.signal }));
  if (keyPair?.wouldCreate || group.wouldCreate) runInstancesCheck += '; checked without the key pair/security group that do not exist yet';
  return { keyPair, group, runInstancesCheck };
}

/** The external host GraphTerm is started with (names its code file): the DNS record, else what the
 * instance's metadata says (public host name, else address), as the user-data computes it. */
export function externalHostOf(prep: HostPrep, instance: InstanceInfo): string {
  return prep.host.dnsName ?? instance.publicDns ?? instance.publicIp ?? '';
}

/** Stores gterm_oauth.json from stdin, private to the login user. */
const OAUTH_DELIVERY = 'umask 077 && mkdir -p .graphterm && cat >.graphterm/gterm_oauth.json.tmp && mv -f .graphterm/gterm_oauth.json.tmp .graphterm/gterm_oauth.json';

/** A random auth code: 16 characters of letters and digits (about 95 bits). */
export function randomAuthCode(): string {
  const alphabet = 'abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  const bytes = randomBytes(32);
  let out = '';
  for (const b of bytes) {
    if (b >= 224) continue; // 224 = 4 * 56: no modulo bias
    out += alphabet[b % alphabet.length];
    if (out.length === 16) break;
  }
  return out.length === 16 ? out : randomAuthCode();
}

/**
 * Waits on the instance (up to `maxMs`, at most 20 s per call) for the setup's marker file, then prints
 * ERROR + the error file or OK + the status. One SSH exec notices the marker within 0.2 s, where polling
 * from here with back-off would notice it seconds late and pay a round trip per look.
 */
export function setupMarkerWait(maxMs: number): string {
  const rounds = Math.max(0, Math.min(100, Math.ceil(maxMs / 200)));
  return (
    `i=0; while [ ! -f SETUP_ERROR ] && [ ! -f SETUP_STATUS ] && [ "$i" -lt ${rounds} ]; do sleep 0.2; i=$((i+1)); done; ` +
    'if [ -f SETUP_ERROR ]; then echo "ERROR"; cat SETUP_ERROR; elif [ -f SETUP_STATUS ]; then echo "OK"; cat SETUP_STATUS; fi'
  );
}

export class Launcher {
  readonly created: Created = { instances: [], records: [], sourceGroups: [] };
  keyPair?: KeyPairOutcome;
  group?: GroupOutcome;
  /** A secondary host is also in the hosts' membership group (HOST_GROUP). */
  memberGroupId?: string;
  constructor(
    private readonly plan: LaunchPlan,
    private readonly pre: Preflight,
    private readonly deps: LaunchDeps,
    readonly progress: Progress,
  ) {}

  private get out() {
    return this.deps.ctx.out;
  }

  private checkSignal(): void {
    if (this.deps.ctx.signal.aborted) throw this.deps.ctx.signal.reason instanceof Error ? this.deps.ctx.signal.reason : new CancelledError();
  }

  /** Zone, key pair, group: what the instances need. */
  async prepare(): Promise<void> {
    const { ctx, aws, ec2, dns } = this.deps;
    const { plan, pre } = this;
    if (pre.zoneToCreate && dns) {
      const zone = await this.progress.phase({ id: 'hosted-zone', label: `creating the hosted zone ${pre.zoneToCreate}` }, () => dns.createZone(pre.zoneToCreate!));
      this.created.zone = { id: zone.id, name: zone.name, nameServers: zone.nameServers };
      pre.zone = zone;
      this.out.info(`${ctx.program}: created the Route 53 zone ${zone.name}; delegate it at your registrar to: ${zone.nameServers.join(' ')}`);
    }
    this.checkSignal();
    await this.ensureShared();
  }

  /**
   * Key pair and security group: found (adopted), imported or created. Run again when RunInstances says
   * one of them is gone (a concurrent run that failed removed what it had created).
   */
  private async ensureShared(): Promise<void> {
    const { plan } = this;
    if (!plan.placement.noKeyPair) {
      const keyPair = await ensurePlanKeyPair(plan, this.deps, false);
      this.keyPair = keyPair;
      if (keyPair.created) {
        this.created.keyPair = keyPair;
        this.progress.note(keyPair.imported ? `imported the key pair ${keyPair.keyName}` : `created the key pair ${keyPair.keyName}; private key saved to ${keyPair.keyFile} (0600)`);
      }
      if (!keyPair.keyFile && plan.wait !== 'none' && plan.wait !== 'running') {
        throw new UsageError(`the key pair ${plan.keyName} exists in EC2 but its private key is not on this machine`, {
          hint: `put it in ~/.ssh/${plan.keyName}.pem, or use another --key (or --import-key ~/.ssh/id_ed25519.pub), or --no-key-pair (EC2 Instance Connect)`,
        });
      }
    }
    this.checkSignal();
    const group = await planGroup(plan, this.deps, false, this.pre.placement.vpcId, (g) => {
      // Made for the hosts to come; removed on undo like any group this run created.
      this.created.sourceGroups.push(g);
      this.progress.note(`created the security group ${g.name} (${g.id}) for the secondary hosts`);
    });
    this.group = group;
    if (group.created) this.created.group = group;
    if (plan.role === 'host') {
      this.memberGroupId = await hostGroupId(this.deps, false, (g) => {
        this.created.sourceGroups.push(g);
        this.progress.note(`created the security group ${g.name} (${g.id}): it names the secondary hosts for the primary's port 8899`);
      }, this.pre.placement.vpcId);
    }
    this.progress.note(`security group ${groupSummary(group)}`);
    for (const w of groupWarnings(group)) this.out.warn(w);
  }

  /** Terminates same-name instances (--replace), after the runner's confirmation. */
  async replaceOld(): Promise<InstanceInfo[]> {
    const old = this.pre.hosts.flatMap((h) => h.replace);
    if (old.length === 0) return [];
    await this.progress.phase({ id: 'replace', label: `terminating ${old.map((i) => `${i.name} (${i.id})`).join(', ')} (--replace)` }, () => this.deps.ec2.terminate(old.map((i) => i.id)));
    return old;
  }

  /** RunInstances for one host, with its idempotency token. */
  async launch(prep: HostPrep): Promise<InstanceInfo> {
    const { ec2, ctx } = this.deps;
    const sdk = await import('@aws-sdk/client-ec2');
    let setUpAgain = false;
    for (let generation = 0; generation < 10; generation++) {
      // Built each time: setting the key pair and group up again changes the group id.
      const req = runRequest(this.plan, this.pre, prep, { keyName: this.plan.keyName, groupId: this.group?.id, memberGroupId: this.memberGroupId });
      const token = generation === 0 ? prep.token : `${prep.token.slice(0, 60)}-g${generation}`.slice(-64);
      let res;
      try {
        res = await call(`launching ${prep.host.name}`, () => ec2.client.send(new sdk.RunInstancesCommand({ ...req, ClientToken: token }), { abortSignal: ctx.signal }));
      } catch (err) {
        const code = awsErrorCode(err);
        if (setUpAgain || (code !== 'InvalidKeyPair.NotFound' && code !== 'InvalidGroup.NotFound')) throw err;
        // Found or created a moment ago, gone now: a concurrent run that failed removed what it had made.
        setUpAgain = true;
        this.progress.note(`the ${code.startsWith('InvalidKeyPair') ? `key pair ${this.plan.keyName}` : `security group ${this.plan.securityGroup.name}`} went away (a concurrent run removed it); setting it up again`);
        await this.ensureShared();
        generation--;
        continue;
      }
      const raw = res.Instances?.[0];
      if (!raw?.InstanceId) throw new Ec2termError(`EC2 returned no instance for ${prep.host.name}`);
      const { toInstanceInfo } = await import('../../lib/instances.js');
      const info = toInstanceInfo(raw, ec2.region);
      if (info.state === 'terminated' || info.state === 'shutting-down') {
        if (prep.tokenGiven) throw new UsageError(`--client-token ${token} belongs to ${info.id}, which has ended; use another token`);
        ctx.out.detail(`client token ${token} belongs to ${info.id} (${info.state}) from an earlier attempt; using a new one`);
        continue;
      }
      this.created.instances.push(info);
      if (prep.adopt?.id === info.id) {
        this.progress.note(`EC2 returned ${info.id}, launched earlier by the same command (same client token); continuing with it`);
      } else this.progress.note(`launched ${prep.host.name}: ${info.id} (${this.plan.instanceType}, ${this.pre.image.name || this.pre.image.id})`);
      const expiry = expiresAt(this.plan, info.launchTime ?? new Date(ctx.clock.now()));
      if (expiry) await ec2.createTags([info.id], { [TAGS.expiresAt]: expiry });
      return info;
    }
    throw new Ec2termError(`could not find a fresh client token for ${prep.host.name}`);
  }

  /** Waits and finishing steps for one launched instance. */
  async finish(prep: HostPrep, launched: InstanceInfo, authCode: string | undefined): Promise<HostResult> {
    const { ctx, ec2, dns, aws } = this.deps;
    const { plan } = this;
    const name = prep.host.name;
    const result: HostResult = { instance: launched, sshOk: false, copied: [], authCodeDelivered: false };
    if (plan.wait === 'none') return result;
    const wopts = (timeoutMs: number, hint: string) => ({ clock: ctx.clock, signal: ctx.signal, timeoutMs, hint });

    let instance = await this.progress.phase({ id: 'running', host: name, label: 'running' }, () =>
      waitForInstanceState(ec2, launched.id, ['running'], wopts(plan.timeouts.running, `the instance is still starting: see it with ec2list ${name}; run ec2launch again with a longer --timeout to continue with it`)),
    );
    if (plan.placement.eip) {
      const eip = await this.progress.phase({ id: 'elastic-ip', host: name, label: 'Elastic IP' }, () => attachElasticIp(ec2, plan.placement, instance, name, ctx.signal));
      this.progress.note(`${name}: Elastic IP ${eip.publicIp} (${eip.allocationId}${eip.allocated ? ', allocated; ec2list --terminate releases it' : ''})`);
      instance = await pollUntil(`the Elastic IP on ${instance.id}`, async () => {
        const [i] = await ec2.describeInstances({ ids: [instance.id] });
        return i?.publicIp === eip.publicIp ? i : undefined;
      }, wopts(plan.timeouts.running, 'EC2 is slow to show the new address; run ec2launch again to continue'));
    }
    this.replaceInstance(instance);
    result.instance = instance;

    if (prep.host.dnsName && dns && this.pre.zone) {
      const zone = this.pre.zone;
      const ip = instance.publicIp;
      if (!ip) throw new Ec2termError(`${name} (${instance.id}) has no public address, so no DNS record can point at it`);
      await this.progress.phase({ id: 'dns', host: name, label: `DNS A record ${prep.host.dnsName} -> ${ip} (INSYNC)` }, async () => {
        const change = await dns.upsertRecord(zone.id, prep.host.dnsName!, 'A', ip, 60);
        this.created.records.push({ zoneId: zone.id, name: prep.host.dnsName!, values: [ip, instance.publicDns ?? ''].filter(Boolean) });
        await ec2.createTags([instance.id], { [TAGS.dns]: prep.host.dnsName!, [TAGS.zone]: zone.id, [TAGS.dnsValue]: ip });
        await dns.waitInsync(change.id, wopts(plan.timeouts.running, 'Route 53 is slow to apply the change; the record will still appear; check it later with ec2list'));
      });
      result.dnsName = prep.host.dnsName;
      instance = { ...instance, dnsRecord: prep.host.dnsName, hostedZoneId: zone.id };
      result.instance = instance;
    }
    if (plan.wait === 'running') return result;

    // A private-only or IPv6 instance is reached the way ec2ssh reaches it (connectToInstance retries while sshd starts).
    const address = instance.publicIp ?? instance.publicDns;
    if (address) {
      await this.progress.phase({ id: 'ssh-port', host: name, label: `SSH port ${instance.sshPort} open` }, () =>
        waitForTcpPort(address, instance.sshPort, wopts(plan.timeouts.ssh, `check the security group ${plan.securityGroup.name} allows port 22 from your address (--allow-from)`)),
      );
    }
    const { connectToInstance } = await import('../../lib/ssh/index.js');
    const session = await this.progress.phase({ id: 'ssh-login', host: name, label: 'SSH login with the host key verified against the console' }, () =>
      connectToInstance(instance, {
        aws,
        ec2,
        user: plan.user,
        identityFile: this.keyPair?.keyFile,
        hostKeyPolicy: 'verify',
        retryMs: plan.timeouts.ssh,
        consoleWaitMs: plan.timeouts.ssh,
        pendingWaitMs: plan.timeouts.running,
        signal: ctx.signal,
        prompt: ctx.prompt,
        out: ctx.out,
        env: ctx.io.env,
        clock: ctx.clock,
      }),
    );
    result.sshOk = true;
    try {
      if (plan.oauthFile) {
        // Before the code: GraphTerm reads its OAuth settings when it starts, which the code triggers.
        const { readFile } = await import('node:fs/promises');
        const body = await readFile(plan.oauthFile);
        const r = await session.exec(OAUTH_DELIVERY, { stdin: body, signal: ctx.signal });
        if (r.code !== 0) throw new Ec2termError(`could not store the OAuth file on ${name}: ${r.stderr.toString('utf8').trim() || `exit ${r.code}`}`);
      }
      if (authCode !== undefined) {
        // Over the verified connection, on stdin (never in a command line or in user-data), into the file
        // GraphTerm 0.57 reads. First writer wins: an instance that already has a code (an earlier or
        // concurrent run of this same command) keeps it, and the script prints back the code in force.
        const file = serverAuthFile(externalHostOf(prep, instance));
        const r = await session.exec(authCodeDeliveryScript(file), { stdin: `${dashify(authCode)}\n`, signal: ctx.signal });
        if (r.code !== 0) throw new Ec2termError(`could not store the auth code on ${name}: ${r.stderr.toString('utf8').trim() || `exit ${r.code}`}`);
        const inForce = parseDeliveredAuthCode(r.stdout.toString('utf8'))?.split(/\s/)[0]?.replace(/-/g, '');
        if (inForce === undefined || inForce === '') {
          throw new Ec2termError(`~${plan.user}/${file} on ${name} does not hold a usable auth code`, 1, {
            hint: `remove it (ec2ssh ${name} rm ${shellQuote(file)}) and run ec2launch again, or launch a new instance with --replace`,
          });
        }
        if (inForce !== authCode) {
          if (plan.authCode.kind === 'given') {
            ctx.out.warn(`${name} already had an auth code from an earlier run; it is kept and --auth-code was not applied (remove ~${plan.user}/${file} there and restart ${UNIT_NAME}, or use --replace)`);
          } else this.progress.note(`${name} already had an auth code (from an earlier or concurrent run of this command); keeping it`);
        }
        result.authCode = inForce;
        result.authCodeDelivered = true;
      }
      if (plan.role === 'host') {
        const hostName = graphtermHostName(name);
        const key = await this.progress.phase({ id: 'host-key', host: name, label: `its key from ${plan.connectTo} (the HMAC gauth computes)` }, () => this.onPrimary(`${WRAPPER_COMMAND} hostkey ${hostName}`));
        if (!/^[0-9a-f-]{4,64}$|^none$/.test(key.trim())) throw new Ec2termError(`${plan.connectTo} gave no usable key for ${hostName}`);
        const file = hostAuthFile(hostName);
        const r = await session.exec(authCodeDeliveryScript(file, { replace: true }), { stdin: `${key.trim()}\n`, signal: ctx.signal });
        if (r.code !== 0) throw new Ec2termError(`could not store the host key on ${name}: ${r.stderr.toString('utf8').trim() || `exit ${r.code}`}`);
        result.authCodeDelivered = true;
      }
      if (plan.copy.length > 0) {
        const { basename, resolve } = await import('node:path');
        await this.progress.phase({ id: 'copy', host: name, label: `copying ${count(plan.copy.length, 'file')}` }, async () => {
          const sftp = await session.sftp();
          for (const f of plan.copy) {
            const remote = basename(f);
            await new Promise<void>((ok, fail) => sftp.fastPut(resolve(f), remote, (err) => (err ? fail(new Ec2termError(`copying ${f} to ${name}: ${err.message}`)) : ok())));
            result.copied.push(remote);
          }
        });
      }
      if (plan.wait === 'ready') {
        const readyDeadline = ctx.clock.now() + plan.timeouts.ready;
        result.setup = await this.progress.phase({ id: 'setup', host: name, label: `setup marker ~${plan.user}/SETUP_STATUS` }, () =>
          pollUntil(
            `the setup of ${name} to finish (~${plan.user}/SETUP_STATUS)`,
            async () => {
              const r = await session.exec(setupMarkerWait(readyDeadline - ctx.clock.now()), { signal: ctx.signal });
              const text = r.stdout.toString('utf8');
              if (text.startsWith('ERROR')) {
                throw new Ec2termError(`the setup of ${name} failed: ${text.slice(6).split('\n').filter(Boolean).join(' | ').slice(0, 600)}`, 1, {
                  hint: `the full log is /root/ec2launch.log on the instance (ec2ssh ${name} sudo cat /root/ec2launch.log; add --keep-on-failure to keep the instance for that)`,
                });
              }
              return text.startsWith('OK') ? text.slice(3).trim() : undefined;
            },
            { ...wopts(plan.timeouts.ready, `setup is still running: follow it with ec2ssh ${name} sudo tail -f /root/ec2launch.log (and raise --timeout)`), backoff: { initialMs: 100, maxMs: 1_000, factor: 2 } },
          ),
        );
        if (plan.role === 'host') {
          const hostName = graphtermHostName(name);
          await this.progress.phase({ id: 'joined', host: name, label: `listed by ${plan.connectTo} as host ${hostName}` }, () =>
            pollUntil(
              `${hostName} to appear in the host list of ${plan.connectTo}`,
              async () => ((await this.onPrimary(`${WRAPPER_COMMAND} hosts`)).split('\n').includes(hostName) ? true : undefined),
              { ...wopts(plan.timeouts.ready, `check that ${plan.connectTo} was launched with --accept-hosts (its port 8899 open to the group ec2term-graphterm-host) and see: ec2ssh ${name} journalctl -u ${UNIT_NAME}`), backoff: { initialMs: 500, maxMs: 5_000, factor: 2 } },
            ),
          );
        }
      }
    } finally {
      await session.close().catch(() => {});
    }
    return result;
  }

  private primarySession?: Promise<{ exec: (cmd: string, o?: { signal?: AbortSignal }) => Promise<{ code: number | null; stdout: Buffer; stderr: Buffer }>; close: () => Promise<void> }>;

  /** Runs a wrapper command on the --connect-to primary over SSH (host key verified); its stdout. */
  private async onPrimary(command: string): Promise<string> {
    const { ctx, ec2, aws } = this.deps;
    const primary = this.pre.primary;
    if (!primary) throw new Ec2termError(`--connect-to ${this.plan.connectTo}: no ec2term instance of that name, so its host key cannot be asked for`, 1, { hint: 'give the Name (or id) of a server launched by ec2launch with --accept-hosts' });
    if (!this.primarySession) {
      const { connectToInstance } = await import('../../lib/ssh/index.js');
      this.primarySession = connectToInstance(primary, {
        // The primary's own key pair (found from its keyName), not necessarily this launch's.
        aws, ec2, user: this.plan.user, hostKeyPolicy: 'verify', retryMs: this.plan.timeouts.ssh,
        consoleWaitMs: this.plan.timeouts.ssh, pendingWaitMs: this.plan.timeouts.running, signal: ctx.signal, prompt: ctx.prompt, out: ctx.out, env: ctx.io.env, clock: ctx.clock,
      });
    }
    const session = await this.primarySession;
    const r = await session.exec(command, { signal: ctx.signal });
    if (r.code !== 0) throw new Ec2termError(`on ${this.plan.connectTo}: ${command.replace(/^PATH=\S+ /, '').split(' ').slice(0, 2).join(' ')} failed: ${r.stderr.toString('utf8').trim().slice(0, 300) || `exit ${r.code}`}`);
    return r.stdout.toString('utf8');
  }

  /** Closes the SSH connection to the primary, if one was opened. */
  async closePrimary(): Promise<void> {
    if (this.primarySession) await (await this.primarySession.catch(() => undefined))?.close().catch(() => {});
  }

  private replaceInstance(i: InstanceInfo): void {
    const at = this.created.instances.findIndex((x) => x.id === i.id);
    if (at >= 0) this.created.instances[at] = i;
  }

  /** Removes what this run created, newest first. Returns lines saying what was removed and what was kept. */
  async undo(keep: boolean): Promise<string[]> {
    const lines: string[] = [];
    const { ec2, dns } = this.deps.cleanup;
    const c = this.created;
    const groupLabel = c.group && `security group ${c.group.name} (${c.group.id})`;
    const keyPairLabel = c.keyPair && `key pair ${c.keyPair.keyName}${c.keyPair.keyFile && c.keyPair.wroteKeyFile ? ` and ${c.keyPair.keyFile}` : ''}`;
    const ec2list = `ec2list${this.deps.aws.local ? ` ${this.deps.aws.local.flag}` : ''}`;
    if (keep) {
      for (const i of c.instances) lines.push(`kept instance ${i.id} (${i.name ?? ''}) (--keep-on-failure; remove it with: ${ec2list} --terminate ${i.id})`);
      for (const r of c.records) lines.push(`kept DNS record ${r.name}`);
      if (groupLabel) lines.push(`kept ${groupLabel}`);
      for (const g of c.sourceGroups) lines.push(`kept security group ${g.name} (${g.id})`);
      if (keyPairLabel) lines.push(`kept ${keyPairLabel}`);
      if (c.zone) lines.push(`kept hosted zone ${c.zone.name} (${c.zone.id})`);
      return lines;
    }
    // Cleanup outlasts throttling and 5xx that beat the SDK's own attempts: an orphan costs more than a wait.
    const clock = this.deps.ctx.clock;
    const persist = persistentCleanup({ clock, budgetMs: CLEANUP_RETRY_MS, warn: (t) => this.deps.ctx.out.warn(t) });
    for (const r of [...c.records].reverse()) {
      try {
        const outcome = await persist(`removing DNS record ${r.name}`, () => dns!.deleteRecordIfPointsAt(r.zoneId, r.name, r.values));
        lines.push(outcome.deleted ? `removed DNS record ${r.name}` : `left DNS record ${r.name} (${outcome.reason})`);
      } catch (err) {
        lines.push(`could NOT remove DNS record ${r.name}: ${fromAwsError(err).message} (remove it in the Route 53 console, hosted zone ${r.zoneId})`);
      }
    }
    const ids = c.instances.map((i) => i.id);
    let terminated = false;
    if (ids.length) {
      try {
        await persist(`terminating ${ids.join(', ')}`, () => ec2.terminate(ids));
        terminated = true;
        lines.push(`terminated instance${ids.length > 1 ? 's' : ''} ${ids.join(', ')}`);
      } catch (err) {
        lines.push(`could NOT terminate ${ids.join(', ')}: ${fromAwsError(err).message} (remove with: ${ec2list} --terminate ${ids.join(' ')})`);
      }
    }
    // Key pair and group are shared: a concurrent run may have adopted what this run created and launched
    // with it. Those stay (and say why); deleting the key pair would cut that instance's SSH access. When
    // that cannot be checked, they stay too.
    type Users = { others: string[] } | { unknown: string };
    const usersOf = async (what: string, filter: string, value: string): Promise<Users> => {
      try {
        const found = await persist(`checking which instances use the ${what}`, () => ec2.describeInstances({ filters: [{ Name: filter, Values: [value] }] }));
        return { others: found.filter((i) => !ids.includes(i.id) && i.state !== 'shutting-down' && i.state !== 'terminated').map((i) => i.id) };
      } catch (err) {
        return { unknown: fromAwsError(err).message };
      }
    };
    const kept = (what: string, users: Users, removeWith: string): string | undefined => {
      if ('unknown' in users) return `kept ${what}: could not check whether another instance uses it (${users.unknown}); if none does, remove it with: ${removeWith}`;
      const { others } = users;
      if (others.length === 0) return undefined;
      return `kept ${what}: ${others.length === 1 ? 'another instance uses' : `${others.length} other instances use`} it (${others.slice(0, 3).join(', ')}${others.length > 3 ? ', ...' : ''})`;
    };
    // The AWS CLI command that removes a leftover, aimed at the same endpoint (never a real account by mistake).
    const endpoint = this.deps.aws.endpoints.ec2;
    const awsCli = `aws ec2 --region ${ec2.region}${endpoint ? ` --endpoint-url ${endpoint}` : ''}`;
    if (c.group?.id) {
      const groupId = c.group.id;
      const removeWith = `${awsCli} delete-security-group --group-id ${groupId}`;
      const keep = !terminated && ids.length > 0
        ? `kept ${groupLabel!}: its instance is not terminated; once it is, remove it with: ${removeWith}`
        : kept(groupLabel!, await usersOf('security group', 'instance.group-id', groupId), removeWith);
      if (keep) lines.push(keep);
      else {
        try {
          // The group can go once no instance uses it (terminated).
          for (const id of ids) {
            await persist(`waiting for ${id} to terminate`, () => waitForInstanceState(ec2, id, ['terminated'], { clock, timeoutMs: 10 * 60_000 })).catch(() => undefined);
          }
          await persist(`removing ${groupLabel!}`, () => deleteSecurityGroup(ec2, groupId, { sleep: (ms) => clock.sleep(ms) }));
          lines.push(`removed ${groupLabel}`);
        } catch (err) {
          lines.push(`could NOT remove ${groupLabel}: ${fromAwsError(err).message} (remove it with: ${removeWith})`);
        }
      }
    }
    for (const g of c.sourceGroups) {
      const label = `security group ${g.name} (${g.id})`;
      try {
        await persist(`removing ${label}`, () => deleteSecurityGroup(ec2, g.id!, { sleep: (ms) => clock.sleep(ms), attempts: 5 }));
        lines.push(`removed ${label}`);
      } catch (err) {
        lines.push(`could NOT remove ${label}: ${fromAwsError(err).message} (remove it with: ${awsCli} delete-security-group --group-id ${g.id})`);
      }
    }
    if (c.keyPair) {
      const keyName = c.keyPair.keyName;
      const keyFile = c.keyPair.wroteKeyFile ? c.keyPair.keyFile : undefined;
      const removeWith = `${awsCli} delete-key-pair --key-name ${shellQuote(keyName)}${keyFile ? ` && rm ${shellQuote(keyFile)}` : ''}`;
      const keep = kept(keyPairLabel!, await usersOf('key pair', 'key-name', keyName), removeWith);
      if (keep) lines.push(keep);
      else {
        try {
          await persist(`removing ${keyPairLabel!}`, () => deleteKeyPair(ec2, keyName, keyFile));
          lines.push(`removed ${keyPairLabel}`);
        } catch (err) {
          lines.push(`could NOT remove key pair ${keyName}: ${fromAwsError(err).message} (remove it with: ${removeWith})`);
        }
      }
    }
    if (c.zone) lines.push(`kept hosted zone ${c.zone.name} (${c.zone.id}): you asked for it with --create-zone and may have delegated it already`);
    return lines;
  }
}

/** Used by the dry run to say whether the key pair / group exist. */
export async function resourcesExist(ec2: Ec2, plan: LaunchPlan): Promise<{ keyPair: boolean; group: boolean }> {
  const [keyPair, group] = await Promise.all([keyPairExists(ec2, plan.keyName), findGroup(ec2, plan.securityGroup.name)]);
  return { keyPair, group: Boolean(group) };
}

export { formatDuration };
