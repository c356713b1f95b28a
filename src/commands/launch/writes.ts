// The one door for ec2launch's EC2 writes. For real, a write is sent; under --dry-run it is checked with
// EC2's DryRun instead (or skipped when it cannot be checked yet, e.g. rules for a group not made) and
// recorded, so no step of the launch forks on --dry-run itself: a write that was not done answers undefined.
import type { Ec2, Ec2Writes } from '../../lib/ec2.js';

export interface IntendedWrite {
  action: keyof Ec2Writes;
  /** What it would do, e.g. "create the security group ec2term-ssh". */
  what: string;
  /** True when EC2's DryRun said it would succeed; false when it could not be checked yet. */
  checked: boolean;
}

type Result<K extends keyof Ec2Writes> = Awaited<ReturnType<Ec2Writes[K]>>;

export class LaunchWrites {
  /** Under --dry-run: every write the launch would make, in order. */
  readonly intended: IntendedWrite[] = [];
  constructor(
    readonly ec2: Ec2,
    readonly dryRun: boolean,
  ) {}

  /** Sends the write ({ value }: it was done), or (dry run) checks it unless `check` is false and records it (undefined). */
  async write<K extends keyof Ec2Writes>(action: K, what: string, args: Parameters<Ec2Writes[K]>, o: { check?: boolean } = {}): Promise<{ value: Result<K> } | undefined> {
    if (!this.dryRun) return { value: await (this.ec2[action] as (...a: Parameters<Ec2Writes[K]>) => Promise<Result<K>>)(...args) };
    const checked = o.check !== false;
    if (checked) await (this.ec2.dryRun[action] as (...a: Parameters<Ec2Writes[K]>) => Promise<void>)(...args);
    this.intended.push({ action, what, checked });
    return undefined;
  }
}
