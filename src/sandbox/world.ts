// The running sandbox: state, settings, persistence, and the instance lifecycle (lazy transitions
// plus one timer for the next due transition, so 10,000 idle instances cost nothing). An instance's SSH
// endpoint: instance-ssh.ts; its first-boot setup (the real GraphTerm or a simulation): instance-setup.ts.
import { join } from 'node:path';
import { rm } from 'node:fs/promises';
import type { Delays } from './delays.js';
import { Faults } from './faults.js';
import { emptyRegion, emptyWorld, Persister, type Instance, type InstanceStateName, type Region, type World } from './state.js';
import { newId } from './ids.js';
import { consoleOutput, type InstanceEndpoint } from './sshbridge.js';
import type { GraphTermBoot } from './graphterm/boot.js';
import { rebindEndpoint, restoreEndpoints, startEndpoint } from './instance-ssh.js';
import { runSetup } from './instance-setup.js';

/** Terminated instances stay visible this long, as on EC2. */
export const TERMINATED_VISIBLE_MS = 60 * 60 * 1000;
export { INSTANCE_USER } from './constants.js';

export interface LogEntry { time: string; service: string; action: string; region: string; status: number; errorCode?: string }
const LOG_CAP = 5000;

export class Sandbox {
  world: World;
  faults = new Faults();
  /** Spot instances the region can still run (EC2TERM_SANDBOX_SPOT_CAPACITY; unlimited by default): beyond it spot launches fail as AWS's do when spot capacity is short. */
  spotCapacity = Infinity;
  readonly persister: Persister;
  readonly endpoints = new Map<string, InstanceEndpoint>();
  /** Instances running the real GraphTerm (see graphterm/boot.ts); kept by instance-setup.ts. */
  readonly boots = new Map<string, GraphTermBoot>();
  /** The "setup is simulated" notice is said once (instance-setup.ts). */
  saidSimulated = false;
  /** Instances whose state may still change by itself (pending, stopping, awaiting setup, terminated awaiting expiry). */
  private active = new Set<Instance>();
  private starting = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private timerAt = Infinity;
  /** Set by close(): nothing starts any more (instance-ssh.ts and instance-setup.ts check it). */
  closed = false;
  requestLog: LogEntry[] = [];

  constructor(readonly dir: string, world: World, public delays: Delays) {
    this.world = world;
    this.persister = new Persister(dir, () => JSON.stringify(this.world));
    for (const r of Object.values(world.regions)) for (const i of Object.values(r.instances)) this.track(i);
  }

  /** The sandbox clock: the machine's, plus whatever POST /_sandbox/clock moved it forward by. */
  now(): number { return Date.now() + (this.world.clockOffsetMs ?? 0); }

  advanceClock(ms: number): void {
    this.world.clockOffsetMs = (this.world.clockOffsetMs ?? 0) + ms;
    this.changed();
    this.settle();
  }
  changed(): void { this.persister.markDirty(); }

  log(e: LogEntry): void {
    this.requestLog.push(e);
    if (this.requestLog.length > LOG_CAP) this.requestLog.splice(0, this.requestLog.length - LOG_CAP);
  }

  region(name: string): Region {
    let r = this.world.regions[name];
    if (!r) {
      r = emptyRegion();
      const sg = newId('sg');
      r.securityGroups[sg] = { id: sg, name: 'default', description: 'default VPC security group', vpcId: vpcIdFor(name), ingress: [], egress: [allTraffic()], tags: {} };
      this.world.regions[name] = r;
    }
    return r;
  }

  instanceRoot(i: Instance): string { return join(this.dir, 'instances', i.region, i.id, 'root'); }

  /** Hands out a unique loopback public address and a matching private one. */
  allocAddresses(): { publicIp: string; privateIp: string } {
    let n = this.world.nextAddr;
    // Skip .0 and .255 host parts so every address looks ordinary.
    while ((n & 255) === 0 || (n & 255) === 255) n++;
    this.world.nextAddr = n + 1;
    const x = (n >> 8) & 255, y = n & 255, hi = 10 + (n >> 16);
    // Private addresses stay in the default VPC's 172.31.0.0/16, whatever block the public ones are in.
    return { publicIp: `127.${hi}.${x}.${y}`, privateIp: `172.31.${x}.${y}` };
  }

  // ---------- lifecycle ----------

  setState(i: Instance, s: InstanceStateName, at = this.now(), reason?: string): void {
    i.state = s;
    i.stateSince = at;
    if (reason !== undefined) i.stateTransitionReason = reason;
    if (s === 'stopped' || s === 'terminated') {
      i.stateReason = s === 'stopped'
        ? { code: 'Client.UserInitiatedShutdown', message: 'Client.UserInitiatedShutdown: User initiated shutdown' }
        : { code: 'Client.UserInitiatedShutdown', message: 'Client.UserInitiatedShutdown: User initiated shutdown' };
    } else if (s === 'pending' || s === 'running') i.stateReason = undefined;
    this.track(i);
    this.changed();
  }

  private track(i: Instance): void {
    if (this.dueAt(i) === Infinity) this.active.delete(i); else this.active.add(i);
    this.schedule();
  }

  private dueAt(i: Instance): number {
    const d = this.delays;
    if (this.starting.has(i.id)) return Infinity; // async step in flight; track() again when it ends
    switch (i.state) {
      case 'pending': return i.stateSince + d.pendingToRunning;
      case 'stopping': return i.stateSince + d.stopping;
      case 'shutting-down': return i.stateSince + d.shuttingDown;
      case 'terminated': return i.stateSince + TERMINATED_VISIBLE_MS;
      case 'running': return !i.bulk && !i.setupDone ? i.stateSince + d.setup : Infinity;
      default: return Infinity;
    }
  }

  private schedule(): void {
    if (this.closed) return;
    let next = Infinity;
    for (const i of this.active) { const t = this.dueAt(i); if (t < next) next = t; }
    if (next === this.timerAt && this.timer) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.timerAt = next;
    if (next === Infinity) return;
    // Long waits (terminated expiry) are clamped; settle() recomputes on wake-up.
    this.timer = setTimeout(() => { this.timer = null; this.timerAt = Infinity; this.settle(); }, Math.min(Math.max(0, next - this.now()), 2 ** 30));
    this.timer.unref?.();
  }

  /** Advances every instance whose transition is due. Cheap: only active instances are visited. */
  settle(now = this.now()): void {
    for (const i of [...this.active]) this.advance(i, now);
    this.schedule();
  }

  private advance(i: Instance, now: number): void {
    const due = this.dueAt(i);
    if (now < due) return;
    const region = this.world.regions[i.region];
    switch (i.state) {
      case 'pending':
        if (i.bulk) { this.setState(i, 'running', due); return; }
        if (this.starting.has(i.id)) return;
        this.starting.add(i.id);
        void this.bringUp(i).finally(() => { this.starting.delete(i.id); this.track(i); });
        return;
      case 'running':
        if (this.starting.has(i.id)) return;
        this.starting.add(i.id);
        void this.runSetup(i).finally(() => { this.starting.delete(i.id); this.track(i); });
        return;
      case 'stopping':
        this.setState(i, 'stopped', due);
        return;
      case 'shutting-down':
        this.setState(i, 'terminated', due);
        if (region) this.releaseVolumes(region, i);
        void rm(join(this.dir, 'instances', i.region, i.id), { recursive: true, force: true });
        return;
      case 'terminated':
        if (region) delete region.instances[i.id];
        this.active.delete(i);
        this.changed();
        return;
      default:
    }
  }

  /** Terminated instance: DeleteOnTermination volumes go, the others become available. */
  private releaseVolumes(r: Region, i: Instance): void {
    for (const bd of i.blockDevices) {
      const v = r.volumes[bd.volumeId];
      if (!v) continue;
      if (bd.deleteOnTermination) delete r.volumes[v.id];
      else { v.attachment = undefined; v.state = 'available'; }
    }
    this.changed();
  }

  /** pending -> running: starts the SSH endpoint first so "running" means "you can connect". */
  private async bringUp(i: Instance): Promise<void> {
    const fault = this.faults.forInstance('ssh-unreachable', i.id, i.tags.Name);
    if (!fault) {
      try { await this.startEndpoint(i); } catch (e) {
        process.stderr.write(`sandbox: SSH endpoint for ${i.id} failed to start: ${(e as Error).message}\n`);
      }
    }
    if (i.state !== 'pending') { await this.stopEndpoint(i.id); return; } // stopped or terminated meanwhile
    i.bootedAt = this.now();
    this.setState(i, 'running', Math.max(i.stateSince + this.delays.pendingToRunning, this.now() - 1));
  }

  async startEndpoint(i: Instance): Promise<void> { await startEndpoint(this, i); }

  /** After the instance's public address changed while it runs (an Elastic IP): SSH moves to it. */
  async rebindEndpoint(i: Instance): Promise<void> { await rebindEndpoint(this, i); }

  async stopEndpoint(id: string): Promise<void> {
    await this.stopBoot(id);
    const ep = this.endpoints.get(id);
    if (!ep) return;
    this.endpoints.delete(id);
    await ep.close().catch(() => {});
  }

  private async runSetup(i: Instance): Promise<void> { await runSetup(this, i); }

  /** Ends the GraphTerm an instance runs (stop, terminate, sandbox close). */
  async stopBoot(id: string): Promise<void> {
    const boot = this.boots.get(id);
    this.boots.delete(id);
    await boot?.stop();
  }

  console(i: Instance): string {
    if (!i.hostKey) return '';
    const booted = !!i.bootedAt && i.state !== 'pending';
    return consoleOutput({ instanceId: i.id, hostKey: i.hostKey, privateIp: i.privateIp || i.ipv6Addresses?.[0] || '', hostname: i.privateIp ? `ip-${i.privateIp.replace(/\./g, '-')}` : i.id, booted });
  }

  /** After a restart: running instances get their endpoints back. */
  async restoreEndpoints(): Promise<void> { await restoreEndpoints(this); }

  async reset(): Promise<void> {
    await Promise.all([...this.endpoints.keys()].map((id) => this.stopEndpoint(id)));
    this.active.clear();
    this.world = emptyWorld();
    this.faults.clear();
    this.requestLog = [];
    await rm(join(this.dir, 'instances'), { recursive: true, force: true });
    this.schedule();
    this.changed();
    await this.persister.flush();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await Promise.all([...this.endpoints.keys()].map((id) => this.stopEndpoint(id)));
    await this.persister.flush();
  }
}

export function vpcIdFor(region: string): string {
  let h = 0;
  for (const c of region) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return `vpc-${h.toString(16).padStart(8, '0')}${'0'.repeat(9)}`.slice(0, 21);
}

export function allTraffic() {
  return { protocol: '-1', ranges: [{ cidr: '0.0.0.0/0' }], groups: [] as string[] };
}
