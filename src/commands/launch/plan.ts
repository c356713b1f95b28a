// ec2launch's pure core: options (as commander hands them over) -> a LaunchPlan, every value checked.
// No I/O, no clock, no randomness: tested with tables. Anything wrong is a UsageError (exit 2) here,
// before any AWS request.
import { createHash } from 'node:crypto';
import { UsageError } from '../../lib/errors.js';
import { cidrFamily, IMAGE_ID, INSTANCE_TYPE, IPV4, KEY_NAME, SNAPSHOT_ID } from '../../lib/ids.js';
import { placementWords, planPlacement, type PlacementOptions, type PlacementPlan } from './placement.js';
import { TAGS } from '../../lib/instances.js';
import { shellJoin, shellSplit } from '../../lib/shellquote.js';
import { NETCDF_PIP_PINS, PYLAB_PIP_PINS, type PipPin } from '../../lib/graphterm/pins.js';
import { GRAPHTERM_PORT, GTERM_HOST_NAME_RE, HOST_PORT, JOIN_PORT } from '../../lib/graphterm/wrapper.js';
import { type GraphTermRole, type GraphTermSettings, type UserDataInput } from '../../lib/graphterm/userdata.js';
import { graphtermHostName } from '../../lib/graphterm/delivery.js';
import { parseDuration } from '../../lib/wait.js';

export const NAME_RE = /^[a-z][a-z0-9-]*(\.[a-z0-9-]+)*$/;
export const DEFAULT_TYPE = 't3.small';
export const DEFAULT_KEY = 'ec2term';
export const DEFAULT_USER = 'ubuntu';
export const CANONICAL_OWNER = '099720109477';
/** Ubuntu 22.04 (jammy): the newest LTS that still ships Python 2.7 (GraphTerm 0.57 runs on nothing else). */
export const UBUNTU_RELEASE = { version: '22.04', codename: 'jammy', standardSupportUntil: '2027-04', esmUntil: '2032-04' } as const;
export const UBUNTU_NAME_FILTER = `ubuntu/images/hvm-ssd*/ubuntu-${UBUNTU_RELEASE.codename}-${UBUNTU_RELEASE.version}-amd64-server-*`;
export const AUTH_TYPES = ['singleuser', 'none', 'name', 'multiuser'] as const;
export const WAIT_PHASES = ['none', 'running', 'ssh', 'ready'] as const;
export type WaitPhase = (typeof WAIT_PHASES)[number];
export const PORTS = { ssh: 22, graphterm: GRAPHTERM_PORT, untrusted: GRAPHTERM_PORT + 1, hosts: HOST_PORT, hostKeys: JOIN_PORT, http: 80, https: 443 } as const;
/** The group secondary hosts run in: the primary's host port is open to this group only. */
/**
 * Every secondary host is also in this group, which lets nothing in: it only names the hosts, so a
 * primary's 8899 can be open to them alone, whatever group (shared or --allow-from) holds their own rules.
 */
export const HOST_GROUP = 'ec2term-graphterm-host';
/** Private range of every default VPC: where secondary hosts reach a primary's port 8899 from. */
export const DEFAULT_VPC_CIDR = '172.31.0.0/16';
export const ANYWHERE = '0.0.0.0/0';
export const DEFAULT_TIMEOUTS = { running: 5 * 60_000, ssh: 5 * 60_000, ready: 20 * 60_000 } as const;
export const MAX_COUNT = 20;

export interface LaunchOptions extends PlacementOptions {
  name?: string;
  type?: string;
  ami?: string;
  key?: string;
  importKey?: string;
  authCode?: string;
  authType?: string;
  https?: boolean;
  pylab?: boolean;
  R?: boolean;
  netcdf?: boolean;
  install?: string;
  copy?: string;
  connectTo?: string;
  acceptHosts?: boolean;
  count?: string;
  /** A fleet: an Auto Scaling group of this many hosts (fleet/plan.ts checks it). */
  hosts?: string;
  spot?: boolean;
  volumeSize?: string;
  dataVolume?: string;
  fromSnapshot?: string;
  allowFrom?: string;
  ttl?: string;
  wait?: string;
  timeout?: string;
  clientToken?: string;
  createZone?: boolean;
  replace?: boolean;
  keepOnFailure?: boolean;
  showSecrets?: boolean;
  userData?: boolean;
  dryRun?: boolean;
  form?: boolean;
  yes?: boolean;
  gmailAddr?: string;
  allowEmbed?: boolean;
  allowShare?: boolean;
  notebookServer?: boolean;
  logging?: boolean;
  oshell?: boolean;
  screen?: boolean;
  otherOpts?: string;
  openServer?: boolean;
  oauthFile?: string;
  /** --tag KEY=VALUE, repeatable: the user's own tags. */
  tag?: string[];
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

const APT_NAME = /^[a-z0-9][a-z0-9+.-]{0,99}$/;
const PIP_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}(\[[A-Za-z0-9,._-]+\])?((==|>=|<=|~=|!=|<|>)[A-Za-z0-9.*+!-]+)?$/;
const CLIENT_TOKEN = /^[\x21-\x7e]{1,64}$/;
const GTERM_OPT = /^--[a-z][a-z0-9_]*(=[A-Za-z0-9_.,:@/+-]*)?$/;
/**
 * gtermserver 0.57 options a user may add with --other-opts: every real one (GTERMSERVER_OPTIONS) except
 * those ec2launch sets or that would break the service (daemon, addresses, ports, auth, certificates).
 */
export const OTHER_OPTS = [
  'auth_users', 'blob_host', 'nomathjax', 'nolocal', 'nogoog_auth', 'shell_command', 'prompts', 'lc_export', 'nb_ext', 'nb_autosave',
  'no_reset', 'no_formcheck', 'term_type', 'term_encoding', 'term_opts', 'term_settings', 'max_terminals', 'lterm_logfile', 'widget_port', 'users_dir',
] as const;
const EMAIL = /^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$/;
/** Letters and digits, dashes ignored: the browser keeps only 16 significant characters. */
const AUTH_CODE = /^[A-Za-z0-9-]+$/;
export const AUTH_CODE_MAX = 16;
export const AUTH_CODE_MIN = 8;

/** Tags ec2term itself may put on an instance (TAGS): the rest of EC2's 50 are the user's. */
export const MAX_USER_TAGS = 38;
/** EC2's portable tag characters: letters, digits, spaces and + - = . _ : / @ (Unicode letters count). */
const TAG_TEXT = /^[\p{L}\p{N}\p{Zs}+\-=._:/@]*$/u;

/**
 * Pure: --tag KEY=VALUE values -> tags, checked as AWS checks them (key 1-128 characters, value up to
 * 256, the portable characters) plus what is not the user's to set: the reserved aws: prefix, ec2term's
 * own ec2term: tags and Name (NAME sets it).
 */
export function parseTags(values: string[] | undefined): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const raw of values ?? []) {
    const eq = raw.indexOf('=');
    const shown = JSON.stringify([...raw].length > 60 ? `${[...raw].slice(0, 60).join('')}…` : raw);
    if (eq <= 0) throw new UsageError(`bad --tag ${shown}: expected KEY=VALUE, e.g. --tag project=atlas`);
    const key = raw.slice(0, eq);
    const value = raw.slice(eq + 1);
    if ([...key].length > 128) throw new UsageError(`bad --tag ${shown}: a key has at most 128 characters`);
    if ([...value].length > 256) throw new UsageError(`bad --tag ${shown}: a value has at most 256 characters`);
    if (!TAG_TEXT.test(key) || !TAG_TEXT.test(value)) throw new UsageError(`bad --tag ${shown}: use letters, digits, spaces and + - = . _ : / @`);
    if (key.trim() === '') throw new UsageError(`bad --tag ${shown}: the key is blank`);
    if (/^aws:/i.test(key)) throw new UsageError(`bad --tag ${shown}: keys starting with aws: are reserved for AWS`);
    if (/^ec2term:/i.test(key)) throw new UsageError(`bad --tag ${shown}: ec2term: tags are ec2term's own (it sets them)`);
    if (key === TAGS.name) throw new UsageError(`bad --tag ${shown}: the Name tag is NAME, the argument`);
    if (key in tags) throw new UsageError(`bad --tag ${shown}: the key ${JSON.stringify(key)} is given twice`);
    tags[key] = value;
  }
  if (Object.keys(tags).length > MAX_USER_TAGS) throw new UsageError(`too many --tag: at most ${MAX_USER_TAGS} (EC2 allows 50 tags and ec2term uses the rest)`);
  return tags;
}

/** Pure: Graviton types (t4g, m7g, c7gn, ...) run arm64 images; the rest x86_64. */
export function architectureFor(instanceType: string): 'arm64' | 'x86_64' {
  return /^[a-z]+\d+g[a-z]*\./.test(instanceType) ? 'arm64' : 'x86_64';
}

/** Pure: checks an --auth-code (throws UsageError) and returns it without dashes. */
export function checkAuthCode(code: string): string {
  const significant = code.replace(/-/g, '');
  if (!AUTH_CODE.test(code) || significant.length < AUTH_CODE_MIN || significant.length > AUTH_CODE_MAX) {
    throw new UsageError(`bad --auth-code: use ${AUTH_CODE_MIN} to ${AUTH_CODE_MAX} letters and digits (dashes allowed and ignored; a browser uses only the first ${AUTH_CODE_MAX}), or "none" for --auth-type none`);
  }
  return significant;
}

/** Pure: checks NAME (lower case, labels of a-z 0-9 -, starting with a letter). */
export function checkName(name: string | undefined): string {
  if (name === undefined || name === '') throw new UsageError('missing NAME: give the instance a name, e.g. ec2launch lab.myterm.com (or use --form on a terminal)');
  if (name.length > 200 || !NAME_RE.test(name) || name.split('.').some((l) => l.length > 63 || l.endsWith('-'))) {
    const shown = [...name].length > 40 ? `${[...name].slice(0, 40).join('')}…` : name;
    throw new UsageError(`bad NAME ${JSON.stringify(shown)}: use lower-case letters, digits and '-', starting with a letter, with optional .domain parts (e.g. lab or lab.myterm.com)`);
  }
  return name;
}

function positiveInt(value: string | undefined, flag: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(String(value).trim()) || !Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`bad ${flag} ${JSON.stringify(value)}: expected a whole number from ${min} to ${max}`);
  }
  return n;
}

function list(value: string | undefined): string[] {
  return (value ?? '').split(/[,\s]+/).map((s) => s.trim()).filter(Boolean);
}

/** Pure: "lab.myterm.com" + index 2 of 3 -> "lab-2.myterm.com". */
export function hostName(base: string, index: number, count: number): string {
  if (count <= 1) return base;
  const dot = base.indexOf('.');
  return dot < 0 ? `${base}-${index}` : `${base.slice(0, dot)}-${index}${base.slice(dot)}`;
}

/** Pure: the purpose (shared group name, description) and rules of the group for a role and its ports. */
function groupPurpose(role: GraphTermRole, opts: { graphtermPort: boolean; acceptHosts: boolean; https?: boolean; allowFrom: string[]; defaulted: boolean }): Omit<SecurityGroupPlan, 'exact'> {
  const rules: IngressRule[] = [{ port: PORTS.ssh, cidrs: opts.allowFrom, purpose: 'ssh' }];
  if (role === 'host') return { name: 'ec2term-ssh', description: 'ec2term: ssh only (GraphTerm secondary hosts, and servers reached through an ssh tunnel)', rules };
  if (opts.graphtermPort) {
    // The original's redirect 80 -> 8900 and 81 -> 8901 (443/444 with https) and the ports themselves.
    const web = opts.https ? PORTS.https : PORTS.http;
    rules.push(
      { port: web, cidrs: opts.allowFrom, purpose: 'GraphTerm users (redirected to 8900)' },
      { port: web + 1, cidrs: opts.allowFrom, purpose: 'GraphTerm untrusted content (redirected to 8901)' },
      { port: PORTS.graphterm, cidrs: opts.allowFrom, purpose: 'GraphTerm users' },
      { port: PORTS.untrusted, cidrs: opts.allowFrom, purpose: 'GraphTerm untrusted content' },
    );
  }
  if (opts.acceptHosts) {
    rules.push({ port: PORTS.hosts, cidrs: [], fromGroup: HOST_GROUP, purpose: 'GraphTerm hosts joining' });
    rules.push({ port: PORTS.hostKeys, cidrs: [], fromGroup: HOST_GROUP, purpose: 'fleet hosts asking for their keys' });
    const ports = rules.map((r) => r.port).join(', ');
    return { name: 'ec2term-graphterm-primary', description: `ec2term: GraphTerm server that secondary hosts join (${ports})`, rules };
  }
  if (!opts.graphtermPort) return { name: 'ec2term-ssh', description: 'ec2term: ssh only (GraphTerm reached through an ssh tunnel)', rules };
  return { name: 'ec2term-graphterm-server', description: `ec2term: GraphTerm server (${rules.map((r) => r.port).join(', ')})`, rules };
}

/** Pure: "22 from a,b; 8900 from a" with the sources sorted, so the same rules always read (and hash) the same. */
export function rulesKey(rules: IngressRule[]): string {
  return rules.map((r) => `${r.port} from ${r.fromGroup ? `group ${r.fromGroup}` : [...r.cidrs].sort().join(',')}`).join('; ');
}

/**
 * Pure: the security group for a role and its ports. The default sources share one group per purpose
 * (e.g. ec2term-graphterm-server); other sources get a group of their own, named by purpose and a hash
 * of the rules (ec2term-graphterm-server-1a2b3c4d), so --allow-from never shares a group open wider
 * and launches with the same sources share one.
 */
export function securityGroupFor(role: GraphTermRole, opts: { graphtermPort: boolean; acceptHosts: boolean; https?: boolean; allowFrom: string[]; defaulted: boolean }): SecurityGroupPlan {
  const purpose = groupPurpose(role, opts);
  const shared = groupPurpose(role, { ...opts, allowFrom: [ANYWHERE], defaulted: true });
  const key = rulesKey(purpose.rules);
  if (key === rulesKey(shared.rules)) return { ...purpose, exact: false };
  const hash = createHash('sha256').update(key).digest('hex').slice(0, 8);
  // EC2 allows 255 characters of a-z A-Z 0-9 and " ._-:/()#,@[]+=&;{}!$*" in a description.
  const description = `${purpose.description} from ${[...new Set(purpose.rules.flatMap((r) => r.cidrs))].sort().join(' ')}`;
  return { ...purpose, name: `${purpose.name}-${hash}`, description: description.length > 255 ? `${description.slice(0, 252)}...` : description, exact: true };
}

/** Pure: options -> plan. Throws UsageError for anything wrong. */
export function planLaunch(o: LaunchOptions): LaunchPlan {
  const warnings: string[] = [];
  const baseName = checkName(o.name);
  const tags = parseTags(o.tag);
  const dot = baseName.indexOf('.');
  const domain = dot > 0 ? baseName.slice(dot + 1) : undefined;
  const count = positiveInt(o.count, '--count', 1, MAX_COUNT) ?? 1;
  const hosts: HostPlan[] = Array.from({ length: count }, (_, i) => {
    const name = hostName(baseName, i + 1, count);
    return { name, dnsName: domain ? name : undefined };
  });

  const instanceType = o.type ?? DEFAULT_TYPE;
  if (!INSTANCE_TYPE.test(instanceType)) throw new UsageError(`bad --type ${JSON.stringify(instanceType)}: expected an instance type such as t3.small`);
  if (o.ami !== undefined && !IMAGE_ID.test(o.ami)) throw new UsageError(`bad --ami ${JSON.stringify(o.ami)}: expected an image id such as ami-0123456789abcdef0`);
  const keyName = o.key ?? DEFAULT_KEY;
  if (!KEY_NAME.test(keyName)) throw new UsageError(`bad --key ${JSON.stringify(keyName)}: expected a key pair name of letters, digits, '.', '_' and '-'`);
  if (o.importKey !== undefined && o.importKey.trim() === '') throw new UsageError('bad --import-key: give the path of a public key file (e.g. ~/.ssh/id_ed25519.pub)');

  const role: GraphTermRole = o.connectTo ? 'host' : 'server';
  if (o.connectTo !== undefined) {
    const t = o.connectTo;
    if (!(NAME_RE.test(t) || IPV4.test(t) || /^[a-z0-9][a-z0-9.-]*(:\d{1,5})?$/i.test(t)) || t.length > 253) {
      throw new UsageError(`bad --connect-to ${JSON.stringify(t)}: expected the primary server's name, DNS name or address`);
    }
    if (o.acceptHosts) throw new UsageError('--accept-hosts is for a primary server; it cannot be combined with --connect-to');
  }

  // --auth-code none is the old spelling of --auth-type none.
  let authType = o.authType ?? (o.authCode === 'none' ? 'none' : 'singleuser');
  if (!(AUTH_TYPES as readonly string[]).includes(authType)) throw new UsageError(`bad --auth-type ${JSON.stringify(authType)}: expected one of ${AUTH_TYPES.join(', ')}`);
  let authCode: AuthCodePlan;
  if (role === 'host') {
    if (o.authCode !== undefined) warnings.push('--auth-code is ignored for a secondary host (--connect-to): it joins with a key made from its server\'s code');
    if (o.openServer) warnings.push('--open-server is ignored for a secondary host (--connect-to)');
    authType = 'singleuser';
    authCode = { kind: 'none' };
  } else if (o.authCode === 'none') {
    if (authType !== 'none') throw new UsageError(`--auth-code none contradicts --auth-type ${authType}, which needs a code; use --auth-type none for a server without one`);
    authCode = { kind: 'none' };
  } else if (authType === 'none' || authType === 'name') {
    // Name auth asks only for a user name: GraphTerm ignores codes there, so none protects it.
    if (o.authCode !== undefined) throw new UsageError(`--auth-code cannot protect --auth-type ${authType} (GraphTerm ignores codes there); use singleuser or multiuser for a code`);
    authCode = { kind: 'none' };
  } else authCode = o.authCode === undefined ? { kind: 'random' } : { kind: 'given', value: checkAuthCode(o.authCode) };
  const graphtermPortOpen = role === 'server' && (authCode.kind !== 'none' || Boolean(o.openServer));
  if (role === 'server' && authCode.kind === 'none') {
    warnings.push(
      o.openServer
        ? `--open-server: GraphTerm (--auth-type ${authType}) is open to anyone who reaches ports ${PORTS.graphterm}/${PORTS.http}; no code guards its terminals`
        : `--auth-type ${authType}: no code guards the terminals, so GraphTerm's ports stay closed (use the ssh tunnel printed at the end, or --open-server to accept an open server)`,
    );
  }

  if (o.gmailAddr !== undefined && !EMAIL.test(o.gmailAddr)) throw new UsageError(`bad --gmail-addr ${JSON.stringify(o.gmailAddr)}: expected an e-mail address`);
  let otherOpts: string[] = [];
  if (o.otherOpts !== undefined) {
    try {
      otherOpts = shellSplit(o.otherOpts);
    } catch (err) {
      throw new UsageError(`bad --other-opts: ${(err as Error).message}`);
    }
    const bad = otherOpts.find((w) => !GTERM_OPT.test(w) || !(OTHER_OPTS as readonly string[]).includes(w.slice(2).split('=')[0]!));
    if (bad !== undefined) {
      throw new UsageError(`bad --other-opts word ${JSON.stringify(bad)}: gtermserver 0.57 options allowed here are ${OTHER_OPTS.map((x) => `--${x}`).join(' ')} (ec2launch sets the rest itself)`);
    }
  }
  const graphterm: GraphTermSettings = {
    authType,
    authMode: authCode.kind === 'none' ? 'none' : 'file',
    https: Boolean(o.https),
    gmailAddr: o.gmailAddr,
    allowEmbed: Boolean(o.allowEmbed),
    allowShare: Boolean(o.allowShare),
    notebookServer: Boolean(o.notebookServer),
    logging: Boolean(o.logging),
    oshell: Boolean(o.oshell),
    screen: Boolean(o.screen),
    otherOpts,
  };

  const aptPackages: string[] = [];
  const pipPackages: string[] = [];
  const packagesSummary: string[] = [];
  const architecture = architectureFor(instanceType);
  const pipPins: PipPin[] = [];
  // PyPI has no aarch64 wheels of numpy/matplotlib/netCDF4 for Python 2.7 (see pins.ts).
  const x86Only = (flag: string) => {
    if (architecture !== 'x86_64') throw new UsageError(`${flag} needs an x86_64 instance type (Python 2.7 builds of its packages exist for x86_64 only); use e.g. --type t3.small`);
  };
  if (o.pylab) {
    x86Only('--pylab');
    pipPins.push(...PYLAB_PIP_PINS);
    aptPackages.push('libfreetype6', 'libpng16-16');
    packagesSummary.push('pylab');
  }
  if (o.R) {
    aptPackages.push('r-base', 'r-recommended');
    packagesSummary.push('R');
  }
  if (o.netcdf) {
    x86Only('--netcdf');
    aptPackages.push('libnetcdf-dev', 'netcdf-bin');
    pipPins.push(...(o.pylab ? [] : PYLAB_PIP_PINS.filter((p) => p.name === 'numpy')), ...NETCDF_PIP_PINS);
    packagesSummary.push('netcdf');
  }
  for (const item of list(o.install)) {
    if (item.startsWith('pip:')) {
      const p = item.slice(4);
      if (!PIP_NAME.test(p)) throw new UsageError(`bad --install package ${JSON.stringify(item)}: expected pip:NAME (letters, digits, '.', '_', '-', optional ==VERSION)`);
      pipPackages.push(p);
    } else {
      if (!APT_NAME.test(item)) throw new UsageError(`bad --install package ${JSON.stringify(item)}: expected an apt package name (lower-case letters, digits, '+', '.', '-') or pip:NAME`);
      aptPackages.push(item);
    }
    packagesSummary.push(item);
  }

  const copy = list(o.copy);
  const volumeSize = positiveInt(o.volumeSize, '--volume-size', 8, 16384);
  const dataSize = positiveInt(o.dataVolume, '--data-volume', 1, 16384);
  if (o.fromSnapshot !== undefined && !SNAPSHOT_ID.test(o.fromSnapshot)) {
    throw new UsageError(`bad --from-snapshot ${JSON.stringify(o.fromSnapshot)}: expected a snapshot id such as snap-0123456789abcdef0`);
  }
  const dataVolume = dataSize !== undefined || o.fromSnapshot !== undefined ? { sizeGb: dataSize, snapshotId: o.fromSnapshot } : undefined;

  const allowFromGiven = list(o.allowFrom);
  if (o.allowFrom !== undefined && allowFromGiven.length === 0) {
    throw new UsageError(`bad --allow-from ${JSON.stringify(o.allowFrom)}: expected IPv4 or IPv6 CIDRs such as 203.0.113.7/32 or 2001:db8::/64, comma separated`);
  }
  for (const c of allowFromGiven) {
    if (!cidrFamily(c)) throw new UsageError(`bad --allow-from ${JSON.stringify(c)}: expected an IPv4 or IPv6 CIDR such as 203.0.113.7/32, 10.0.0.0/8 or 2001:db8::/64`);
  }
  const allowFromDefaulted = allowFromGiven.length === 0;
  const allowFrom = allowFromDefaulted ? [ANYWHERE] : [...new Set(allowFromGiven)];
  const securityGroup = securityGroupFor(role, { graphtermPort: graphtermPortOpen, acceptHosts: Boolean(o.acceptHosts), https: Boolean(o.https), allowFrom, defaulted: allowFromDefaulted });
  if (allowFromDefaulted) {
    const ports = securityGroup.rules.filter((r) => r.cidrs.includes(ANYWHERE)).map((r) => r.port);
    const list = ports.length === 1 ? `port ${ports[0]}` : `ports ${ports.slice(0, -1).join(', ')} and ${ports[ports.length - 1]}`;
    warnings.push(`${list} will be reachable from anywhere (${ANYWHERE}); narrow ${ports.length === 1 ? 'it' : 'them'} with --allow-from YOUR.ADDRESS/32`);
  }
  if (role === 'host') {
    for (const h of hosts) {
      if (!GTERM_HOST_NAME_RE.test(graphtermHostName(h.name))) throw new UsageError(`bad NAME ${JSON.stringify(h.name)} for a host: GraphTerm host names are letters, digits and '-'`);
    }
  }
  if (o.oauthFile !== undefined && (role === 'host' || o.oauthFile.trim() === '')) throw new UsageError('--oauth-file gives a server its Google sign-in settings (gterm_oauth.json); not for a secondary host');

  let ttlMs: number | undefined;
  if (o.ttl !== undefined) {
    ttlMs = parseDuration(o.ttl);
    if (ttlMs === undefined || ttlMs < 10 * 60_000 || ttlMs > 90 * 86_400_000) {
      throw new UsageError(`bad --ttl ${JSON.stringify(o.ttl)}: expected a duration from 10m to 90d, such as 4h or 2d`);
    }
    ttlMs = Math.ceil(ttlMs / 60_000) * 60_000;
  }

  const waitRequested = (o.wait ?? 'ready') as WaitPhase;
  if (!(WAIT_PHASES as readonly string[]).includes(waitRequested)) throw new UsageError(`bad --wait ${JSON.stringify(o.wait)}: expected none, running, ssh or ready`);
  let wait = waitRequested;
  const secret = role === 'host' ? "the host's key" : authCode.kind !== 'none' ? 'the auth code' : o.oauthFile ? 'the OAuth file' : undefined;
  const needsSsh = secret !== undefined || copy.length > 0;
  if (needsSsh && (wait === 'none' || wait === 'running')) {
    wait = 'ssh';
    warnings.push(`--wait ${waitRequested} raised to ssh: ${secret ?? 'the --copy files'} travel${secret ? 's' : ''} over SSH`);
  }
  if (domain && wait === 'none') {
    wait = 'running';
    warnings.push('--wait none raised to running: the DNS record needs the public address');
  }
  let timeouts: LaunchPlan['timeouts'] = { ...DEFAULT_TIMEOUTS };
  if (o.timeout !== undefined) {
    const t = parseDuration(o.timeout);
    if (t === undefined || t < 1_000 || t > 86_400_000) throw new UsageError(`bad --timeout ${JSON.stringify(o.timeout)}: expected a duration from 1s to 24h, such as 90s or 10m`);
    timeouts = { running: t, ssh: t, ready: t };
  }
  const placement = planPlacement(o, count);
  if (placement.eip && domain === undefined && wait === 'none') wait = 'running';
  if (o.clientToken !== undefined) {
    if (!CLIENT_TOKEN.test(o.clientToken)) throw new UsageError('bad --client-token: 1 to 64 printable ASCII characters without spaces');
    if (count > 1) throw new UsageError('--client-token names one launch; it cannot be combined with --count (each host gets its own token)');
  }

  return {
    baseName,
    hosts,
    domain,
    role,
    instanceType,
    ami: o.ami,
    keyName,
    importKey: o.importKey,
    architecture,
    user: DEFAULT_USER,
    authCode,
    graphterm,
    aptPackages,
    pipPins,
    pipPackages,
    packagesSummary,
    graphtermPortOpen,
    acceptHosts: Boolean(o.acceptHosts),
    oauthFile: o.oauthFile,
    copy,
    connectTo: o.connectTo,
    volumeSize,
    dataVolume,
    allowFrom,
    allowFromDefaulted,
    securityGroup,
    placement,
    ttlMs,
    wait,
    waitRequested,
    timeouts,
    clientToken: o.clientToken,
    createZone: Boolean(o.createZone),
    replace: Boolean(o.replace),
    keepOnFailure: Boolean(o.keepOnFailure),
    showSecrets: Boolean(o.showSecrets),
    userDataOnly: Boolean(o.userData),
    dryRun: Boolean(o.dryRun),
    yes: Boolean(o.yes),
    tags,
    warnings,
  };
}

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

/** Where an auth code can be given without putting it on a command line. */
export const AUTH_CODE_ENV = 'EC2TERM_AUTH_CODE';

/**
 * Pure: the command line equivalent to a plan's options, for shell history: it runs as printed. A given
 * auth code is left out (a secret never goes on a command line): pass it in EC2TERM_AUTH_CODE instead.
 */
export function commandLine(o: LaunchOptions, program = 'ec2launch'): string {
  const words: string[] = [program];
  const flag = (name: string, on: boolean | undefined) => {
    if (on) words.push(name);
  };
  const value = (name: string, v: string | undefined) => {
    if (v !== undefined && v !== '') words.push(`${name}=${v}`);
  };
  value('--type', o.type);
  value('--ami', o.ami);
  value('--key', o.key);
  value('--import-key', o.importKey);
  if (o.authCode === 'none') words.push('--auth-code=none');
  value('--auth-type', o.authType);
  flag('--https', o.https);
  flag('--pylab', o.pylab);
  flag('--R', o.R);
  flag('--netcdf', o.netcdf);
  value('--install', o.install);
  value('--copy', o.copy);
  value('--connect-to', o.connectTo);
  flag('--accept-hosts', o.acceptHosts);
  value('--count', o.count);
  value('--hosts', o.hosts);
  flag('--spot', o.spot);
  value('--volume-size', o.volumeSize);
  value('--data-volume', o.dataVolume);
  value('--from-snapshot', o.fromSnapshot);
  value('--allow-from', o.allowFrom);
  value('--ttl', o.ttl);
  value('--wait', o.wait);
  value('--timeout', o.timeout);
  value('--client-token', o.clientToken);
  value('--gmail-addr', o.gmailAddr);
  flag('--allow-embed', o.allowEmbed);
  flag('--allow-share', o.allowShare);
  flag('--notebook-server', o.notebookServer);
  flag('--logging', o.logging);
  flag('--oshell', o.oshell);
  flag('--screen', o.screen);
  value('--other-opts', o.otherOpts);
  flag('--open-server', o.openServer);
  value('--oauth-file', o.oauthFile);
  flag('--create-zone', o.createZone);
  flag('--replace', o.replace);
  flag('--keep-on-failure', o.keepOnFailure);
  for (const t of o.tag ?? []) words.push(`--tag=${t}`);
  words.push(...placementWords(o));
  if (o.name) words.push(o.name);
  return shellJoin(words);
}
