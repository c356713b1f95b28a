// ec2launch's pure core: options (as commander hands them over) -> a LaunchPlan, every value checked.
// No I/O, no clock, no randomness: tested with tables. Anything wrong is a UsageError (exit 2) here,
// before any AWS request.
import { UsageError } from '../../lib/errors.js';
import { cidrFamily, IMAGE_ID, INSTANCE_TYPE, IPV4, KEY_NAME, SNAPSHOT_ID } from '../../lib/ids.js';
import { shellJoin } from '../../lib/shellquote.js';
import { GTERM_HOST_NAME_RE } from '../../lib/graphterm/wrapper.js';
import type { GraphTermRole } from '../../lib/graphterm/userdata.js';
import { graphtermHostName } from '../../lib/graphterm/delivery.js';
import { parseDuration } from '../../lib/wait.js';
import { flagWords } from './flags.js';
import { planPlacement } from './placement.js';
import { checkName, CLIENT_TOKEN, hostName, list, parseTags, positiveInt } from './plan/checks.js';
import { planGraphterm, planPackages } from './plan/graphterm.js';
import { securityGroupFor } from './plan/groups.js';
import { ANYWHERE, DEFAULT_KEY, DEFAULT_TIMEOUTS, DEFAULT_TYPE, DEFAULT_USER, MAX_COUNT, NAME_RE, WAIT_PHASES, type HostPlan, type LaunchOptions, type LaunchPlan, type WaitPhase } from './plan/types.js';

// The plan's parts live in plan/ (types, checks, groups, graphterm, instance); the names others import stay here.
export * from './plan/types.js';
export { architectureFor, AUTH_CODE_MAX, AUTH_CODE_MIN, checkAuthCode, checkName, hostName, MAX_USER_TAGS, OTHER_OPTS, parseTags } from './plan/checks.js';
export { rulesKey, securityGroupFor } from './plan/groups.js';
export * from './plan/instance.js';

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
  const { authCode, graphtermPortOpen, graphterm } = planGraphterm(o, role, warnings);
  const { architecture, aptPackages, pipPins, pipPackages, packagesSummary } = planPackages(o, instanceType);

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

/** Where an auth code can be given without putting it on a command line. */
export const AUTH_CODE_ENV = 'EC2TERM_AUTH_CODE';

/**
 * Pure: the command line equivalent to a plan's options, for shell history: it runs as printed. A given
 * auth code is left out (a secret never goes on a command line): pass it in EC2TERM_AUTH_CODE instead.
 */
export function commandLine(o: LaunchOptions, program = 'ec2launch'): string {
  return shellJoin([program, ...flagWords(o), ...(o.name ? [o.name] : [])]);
}
