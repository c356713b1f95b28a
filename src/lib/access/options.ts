// How ec2ssh and ec2scp may reach an instance: the flags (defined once, for both commands) and their
// pure parsing. Cheap to load: commander only (spec.ts files call addAccessOptions).
import { Option, type Command } from 'commander';
import { UsageError } from '../errors.js';
import { EICE_ID } from '../ids.js';

export const ADDRESS_TYPES = ['public', 'private', 'ipv6'] as const;
export type AddressType = (typeof ADDRESS_TYPES)[number];
export const VIA = ['auto', 'direct', 'eice'] as const;
export type Via = (typeof VIA)[number];
/** auto: only when no key of ours is at hand; always: --instance-connect; never: --no-instance-connect. */
export type InstanceConnectWish = 'auto' | 'always' | 'never';

/** What the user asked for; chooseRoute (route.ts) turns it into a route for one instance. */
export interface AccessWish {
  /** Undefined: public IPv4, else IPv6, else an endpoint (see chooseRoute). */
  addressType?: AddressType;
  via: Via;
  eiceId?: string;
  instanceConnect: InstanceConnectWish;
}

export const DEFAULT_ACCESS: AccessWish = { via: 'auto', instanceConnect: 'auto' };

/** The access flags, the same on ec2ssh and ec2scp. */
export function addAccessOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option('--address-type <type>', 'which address to connect to: public (IPv4), private (from inside the VPC or over a VPN) or ipv6; default: public, else IPv6, else an Instance Connect Endpoint').choices([...ADDRESS_TYPES]),
    )
    .addOption(new Option('--via <route>', 'direct (to the address), eice (through an EC2 Instance Connect Endpoint) or auto (eice when the instance has no public address)').choices([...VIA]))
    .option('--eice-id <id>', 'the EC2 Instance Connect Endpoint to tunnel through (implies --via eice; default: one in the instance\'s subnet, else its VPC)')
    .option('--instance-connect', 'log in with a one-time key pushed by EC2 Instance Connect (default when no key of ours is at hand)')
    .option('--no-instance-connect', 'never push a key with EC2 Instance Connect');
}

/** Pure: commander's values -> the wish. UsageError (exit 2) for contradictions, before any AWS call. */
export function parseAccessOptions(opts: { addressType?: unknown; via?: unknown; eiceId?: unknown; instanceConnect?: unknown }): AccessWish {
  const wish: AccessWish = { ...DEFAULT_ACCESS };
  if (opts.addressType !== undefined) {
    const t = String(opts.addressType);
    if (!(ADDRESS_TYPES as readonly string[]).includes(t)) throw new UsageError(`bad --address-type "${t}": expected ${ADDRESS_TYPES.join(', ')}`);
    wish.addressType = t as AddressType;
  }
  if (opts.via !== undefined) {
    const v = String(opts.via);
    if (!(VIA as readonly string[]).includes(v)) throw new UsageError(`bad --via "${v}": expected ${VIA.join(', ')}`);
    wish.via = v as Via;
  }
  if (opts.eiceId !== undefined) {
    const id = String(opts.eiceId);
    if (!EICE_ID.test(id)) throw new UsageError(`bad --eice-id "${id}": expected an endpoint id such as eice-0123456789abcdef0`);
    if (wish.via === 'direct') throw new UsageError('--eice-id and --via direct cannot be combined');
    wish.eiceId = id;
    wish.via = 'eice';
  }
  if (wish.via === 'eice' && wish.addressType === 'public') {
    throw new UsageError('--via eice reaches private addresses: drop --address-type public (or use --via direct)');
  }
  // --instance-connect is defined before --no-instance-connect, so commander leaves it undefined unless given.
  if (opts.instanceConnect === true) wish.instanceConnect = 'always';
  if (opts.instanceConnect === false) wish.instanceConnect = 'never';
  return wish;
}

