// ec2launch's GraphTerm plan, pure: the auth type and code (for a server; a secondary host joins with a
// key from its server), gtermserver's settings, and the packages the user-data installs.
import { UsageError } from '../../../lib/errors.js';
import { shellSplit } from '../../../lib/shellquote.js';
import { NETCDF_PIP_PINS, PYLAB_PIP_PINS, type PipPin } from '../../../lib/graphterm/pins.js';
import type { GraphTermRole, GraphTermSettings } from '../../../lib/graphterm/userdata.js';
import { APT_NAME, architectureFor, checkAuthCode, EMAIL, GTERM_OPT, list, OTHER_OPTS, PIP_NAME } from './checks.js';
import { AUTH_TYPES, PORTS, type AuthCodePlan, type LaunchOptions, type LaunchPlan } from './types.js';

/** Pure: the auth type and code, whether GraphTerm's port faces the network, and gtermserver's settings. */
export function planGraphterm(o: LaunchOptions, role: GraphTermRole, warnings: string[]): { authCode: AuthCodePlan; graphtermPortOpen: boolean; graphterm: GraphTermSettings } {
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
  return { authCode, graphtermPortOpen, graphterm };
}

/** Pure: the apt and pip packages (--pylab, --R, --netcdf, --install) for the instance type's architecture. */
export function planPackages(o: LaunchOptions, instanceType: string): Pick<LaunchPlan, 'architecture' | 'aptPackages' | 'pipPins' | 'pipPackages' | 'packagesSummary'> {
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
  return { architecture, aptPackages, pipPins, pipPackages, packagesSummary };
}
