// ec2launch's launch: the Launcher holds what this run created, so that a failure or Ctrl-C can undo
// exactly that. Its steps live by phase: preflight.ts (reads), dry-run.ts, shared.ts (key pair, groups),
// request.ts (RunInstances), finish.ts (waits, DNS, SSH deliveries), undo.ts; writes pass writes.ts.
import { randomBytes } from 'node:crypto';
import { awsErrorCode, CancelledError, Ec2termError, UsageError } from '../../lib/errors.js';
import { TAGS, type InstanceInfo } from '../../lib/instances.js';
import { finishHost } from './finish.js';
import type { KeyPairOutcome } from './keypairs.js';
import { expiresAt, type LaunchPlan } from './plan.js';
import type { HostPrep, LaunchDeps, Preflight } from './preflight.js';
import { PrimaryConnection } from './primary.js';
import type { Progress } from './progress.js';
import { runRequest } from './request.js';
import { groupSummary, type GroupOutcome } from './security-groups.js';
import { ensurePlanKeyPair, groupWarnings, hostGroupId, planGroup } from './shared.js';
import { undoLaunch } from './undo.js';
import { LaunchWrites } from './writes.js';

// The names fleet/, run.ts and the tests take from here.
export { dryRun, type DryRunReport } from './dry-run.js';
export { externalHostOf, setupMarkerWait } from './finish.js';
export { launchedBy, preflight, type HostPrep, type LaunchDeps, type Preflight } from './preflight.js';
export { runRequest } from './request.js';
export { groupWarnings } from './shared.js';

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

export class Launcher {
  readonly created: Created = { instances: [], records: [], sourceGroups: [] };
  keyPair?: KeyPairOutcome;
  group?: GroupOutcome;
  /** A secondary host is also in the hosts' membership group (HOST_GROUP). */
  memberGroupId?: string;
  /** Every write of the launch passes here (never a dry run: that is dry-run.ts). */
  readonly writes: LaunchWrites;
  /** The --connect-to primary over SSH. */
  readonly primary: PrimaryConnection;
  constructor(
    readonly plan: LaunchPlan,
    readonly pre: Preflight,
    readonly deps: LaunchDeps,
    readonly progress: Progress,
  ) {
    this.writes = new LaunchWrites(deps.ec2, false);
    this.primary = new PrimaryConnection(plan, pre, deps);
  }

  private get out() {
    return this.deps.ctx.out;
  }

  private checkSignal(): void {
    if (this.deps.ctx.signal.aborted) throw this.deps.ctx.signal.reason instanceof Error ? this.deps.ctx.signal.reason : new CancelledError();
  }

  /** Zone, key pair, group: what the instances need. */
  async prepare(): Promise<void> {
    const { ctx, dns } = this.deps;
    const { pre } = this;
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
      const keyPair = await ensurePlanKeyPair(plan, this.deps, this.writes);
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
    const group = await planGroup(plan, this.writes, this.pre.placement.vpcId, (g) => {
      // Made for the hosts to come; removed on undo like any group this run created.
      this.created.sourceGroups.push(g);
      this.progress.note(`created the security group ${g.name} (${g.id}) for the secondary hosts`);
    });
    this.group = group;
    if (group.created) this.created.group = group;
    if (plan.role === 'host') {
      this.memberGroupId = await hostGroupId(this.writes, this.pre.placement.vpcId, (g) => {
        this.created.sourceGroups.push(g);
        this.progress.note(`created the security group ${g.name} (${g.id}): it names the secondary hosts for the primary's port 8899`);
      });
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
    let setUpAgain = false;
    for (let generation = 0; generation < 10; generation++) {
      // Built each time: setting the key pair and group up again changes the group id.
      const req = runRequest(this.plan, this.pre, prep, { keyName: this.plan.keyName, groupId: this.group?.id, memberGroupId: this.memberGroupId });
      const token = generation === 0 ? prep.token : `${prep.token.slice(0, 60)}-g${generation}`.slice(-64);
      let launched;
      try {
        launched = await this.writes.write('runInstances', `launch ${prep.host.name}`, [{ ...req, ClientToken: token }, `launching ${prep.host.name}`]);
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
      const info = launched?.value[0];
      if (!info?.id) throw new Ec2termError(`EC2 returned no instance for ${prep.host.name}`);
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
  finish(prep: HostPrep, launched: InstanceInfo, authCode: string | undefined): Promise<HostResult> {
    return finishHost(this, prep, launched, authCode);
  }

  /** Closes the SSH connection to the primary, if one was opened. */
  closePrimary(): Promise<void> {
    return this.primary.close();
  }

  /** The instance as last seen (an Elastic IP changes its address), for undo and the result. */
  replaceInstance(i: InstanceInfo): void {
    const at = this.created.instances.findIndex((x) => x.id === i.id);
    if (at >= 0) this.created.instances[at] = i;
  }

  /** Removes what this run created, newest first. Returns lines saying what was removed and what was kept. */
  undo(keep: boolean): Promise<string[]> {
    return undoLaunch(this.created, this.deps, keep);
  }
}
