// ec2launch's plan: its constants and its shape (LaunchPlan), what planLaunch (plan.ts) makes of the options.
import { GRAPHTERM_PORT, HOST_PORT, JOIN_PORT } from '../../../lib/graphterm/wrapper.js';
import type { GraphTermRole, GraphTermSettings } from '../../../lib/graphterm/userdata.js';
import type { PipPin } from '../../../lib/graphterm/pins.js';
import { AUTH_TYPES, WAIT_PHASES, type FlagOptions } from '../flags.js';
import type { PlacementOptions, PlacementPlan } from '../placement.js';

export const NAME_RE = /^[a-z][a-z0-9-]*(\.[a-z0-9-]+)*$/;
export const DEFAULT_TYPE = 't3.small';
export const DEFAULT_KEY = 'ec2term';
export const DEFAULT_USER = 'ubuntu';
export const CANONICAL_OWNER = '099720109477';
/** Ubuntu 22.04 (jammy): the newest LTS that still ships Python 2.7 (GraphTerm 0.57 runs on nothing else). */
export const UBUNTU_RELEASE = { version: '22.04', codename: 'jammy', standardSupportUntil: '2027-04', esmUntil: '2032-04' } as const;
export { AUTH_TYPES, WAIT_PHASES };
export type WaitPhase = (typeof WAIT_PHASES)[number];
export const PORTS = { ssh: 22, graphterm: GRAPHTERM_PORT, untrusted: GRAPHTERM_PORT + 1, hosts: HOST_PORT, hostKeys: JOIN_PORT, http: 80, https: 443 } as const;
/**
 * Every secondary host is also in this group, which lets nothing in: it only names the hosts, so a
 * primary's 8899 can be open to them alone, whatever group (shared or --allow-from) holds their own rules.
 */
export const HOST_GROUP = 'ec2term-graphterm-host';
export const ANYWHERE = '0.0.0.0/0';
export const DEFAULT_TIMEOUTS = { running: 5 * 60_000, ssh: 5 * 60_000, ready: 20 * 60_000 } as const;
export const MAX_COUNT = 20;

/** The options the flags give (flags.ts, each defined once) and NAME. */
export interface LaunchOptions extends FlagOptions, PlacementOptions {
  name?: string;
}

export interface IngressRule {
  port: number;
  cidrs: string[];
  purpose: string;
  /** A security group name as the source instead of CIDRs (resolved to its id at launch). */
  fromGroup?: string;
}

export interface SecurityGroupPlan {
  name: string;
  description: string;
  rules: IngressRule[];
  /** An --allow-from group: it must let in exactly `rules` (see ensureSecurityGroup). */
  exact: boolean;
}

export interface HostPlan {
  /** The Name tag. */
  name: string;
  /** The DNS record to make (when NAME has a domain). */
  dnsName?: string;
}

export type AuthCodePlan = { kind: 'random' } | { kind: 'given'; value: string } | { kind: 'none' };

export interface LaunchPlan {
  baseName: string;
  hosts: HostPlan[];
  /** The domain whose hosted zone must exist (NAME after its first dot). */
  domain?: string;
  role: GraphTermRole;
  instanceType: string;
  /** Undefined: look up the newest Ubuntu LTS. */
  ami?: string;
  keyName: string;
  /** Public key file to import when the key pair does not exist. */
  importKey?: string;
  /** x86_64 or arm64, from the instance type. */
  architecture: 'arm64' | 'x86_64';
  user: string;
  authCode: AuthCodePlan;
  graphterm: GraphTermSettings;
  aptPackages: string[];
  /** Hash-pinned Python packages (--pylab, --netcdf). */
  pipPins: PipPin[];
  /** The user's --install pip:X packages. */
  pipPackages: string[];
  packagesSummary: string[];
  /** Server: GraphTerm's port faces the network (a code guards it, or --open-server). */
  graphtermPortOpen: boolean;
  acceptHosts: boolean;
  /** Local gterm_oauth.json delivered over SSH (Google sign-in for multiuser). */
  oauthFile?: string;
  copy: string[];
  connectTo?: string;
  volumeSize?: number;
  dataVolume?: { sizeGb?: number; snapshotId?: string };
  allowFrom: string[];
  /** True when --allow-from was not given: the defaults apply and existing groups are never widened. */
  allowFromDefaulted: boolean;
  securityGroup: SecurityGroupPlan;
  /** --subnet, --vpc, --iam-profile, --eip, --no-key-pair (placement.ts). */
  placement: PlacementPlan;
  ttlMs?: number;
  wait: WaitPhase;
  /** The wait the user asked for, when an auth code forced SSH (the code travels over SSH). */
  waitRequested: WaitPhase;
  timeouts: { running: number; ssh: number; ready: number };
  clientToken?: string;
  createZone: boolean;
  replace: boolean;
  keepOnFailure: boolean;
  showSecrets: boolean;
  userDataOnly: boolean;
  dryRun: boolean;
  yes: boolean;
  /** The user's --tag tags (checked), on the instance and its volumes. */
  tags: Record<string, string>;
  warnings: string[];
}
