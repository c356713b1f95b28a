// What ec2launch asks of an instance's GraphTerm (UserDataInput), and what that makes at launch: the
// wrapper's settings, the packages, the pinned requirements, the packed start script. Pure; userdata.ts
// turns it into the script (and re-exports all of this).
import { gzipSync } from 'node:zlib';
import { GRAPHTERM_PIP_PINS, requirementsText, type PipPin } from './pins.js';
import { GRAPHTERM_PORT, IDENTITY_CERT_PATH, wrapperScript, type GraphTermConf } from './wrapper.js';
import { graphtermHostName, hostAuthFile } from './delivery.js';

export type GraphTermRole = 'server' | 'host';

export interface GraphTermSettings {
  /** singleuser, none, name or multiuser. */
  authType: string;
  /** 'file': a code arrives over SSH after boot (singleuser, multiuser); 'none': no code (none, name). */
  authMode: 'file' | 'none';
  https: boolean;
  /** Written to ~/.graphterm/gterm_email.txt, where GraphTerm reads it (as the original did). */
  gmailAddr?: string;
  allowEmbed: boolean;
  allowShare: boolean;
  notebookServer: boolean;
  logging: boolean;
  oshell: boolean;
  screen: boolean;
  /** Extra gtermserver options, one word each (e.g. "--lc_export=telephone"). */
  otherOpts: string[];
}

export interface DataVolume {
  /** The device name given to EC2 (/dev/sdf); on Nitro it shows up as an NVMe disk. */
  device: string;
  mountPoint: string;
  /** Make a file system when the volume has none (never when it came from a snapshot). */
  format: boolean;
}

export interface UserDataInput {
  /** The instance's Name tag. */
  name: string;
  /** The DNS record ec2launch makes for it (--external_host); else the public host name from metadata. */
  dnsName?: string;
  role: GraphTermRole;
  /** Login user of the image (ubuntu). */
  user: string;
  aptPackages: string[];
  /** Hash-pinned Python packages (--pylab, --netcdf), installed with GraphTerm's pins. */
  pipPins?: PipPin[];
  /** The user's own pip packages (--install pip:X): installed after the pinned set, not hash-checked. */
  pipPackages: string[];
  graphterm: GraphTermSettings;
  /** Server: hosts may join (--accept-hosts): the host port listens on the private address. */
  acceptHosts?: boolean;
  /** Server accepting hosts: the PEM certificate that signs instance identity documents (AWS's for the
   *  region). With it the key responder runs, so fleet hosts (replacements too) fetch their own keys. */
  identityCertificate?: string;
  /** Host: its dot-free GraphTerm name (gtermhost's positional argument). */
  hostName?: string;
  /** Host: the primary server's address for gtermhost --server_addr. */
  serverAddr?: string;
  /** Fleet host (one user-data for every instance of a launch template): its GraphTerm name is decided
   *  at boot as fleetHostName(name, instance id), so each host joins under a name of its own. */
  nameFromInstanceId?: boolean;
  /** Power off (and, with shutdown behaviour "terminate", terminate) this many minutes after first boot. */
  ttlMinutes?: number;
  dataVolume?: DataVolume;
}

export const SETUP_LOG = '/root/ec2launch.log';
/** Packages every GraphTerm instance gets on jammy. */
export const BASE_APT_PACKAGES = ['python2', 'python-is-python2', 'python2-dev', 'python3-pip', 'build-essential', 'curl', 'ca-certificates', 'openssl', 'iptables', 'iproute2'];

/** Pure: the extra gtermserver options the flags ask for (one definition per flag). */
export function serverExtraOptions(g: GraphTermSettings): string[] {
  const out: string[] = [];
  if (g.allowEmbed) out.push('--allow_embed');
  if (g.allowShare) out.push('--allow_share');
  if (g.notebookServer) out.push('--nb_server');
  out.push(...g.otherOpts);
  return out;
}

/**
 * Pure: the wrapper's settings known at launch. Boot-time values (the public name without a DNS record,
 * the private address) are appended by the script from the instance metadata.
 */
export function launchConf(input: UserDataInput): GraphTermConf {
  const g = input.graphterm;
  const common = { logging: g.logging, oshell: g.oshell, screen: g.screen };
  if (input.role === 'host') {
    // A fleet host's name (and so its key file) is appended at boot, from the instance id.
    if (input.nameFromInstanceId) return { role: 'host', ...common, serverAddr: input.serverAddr };
    const hostName = input.hostName ?? graphtermHostName(input.name);
    return { role: 'host', ...common, hostName, serverAddr: input.serverAddr, authFile: `/home/${input.user}/${hostAuthFile(hostName)}` };
  }
  return {
    role: 'server',
    ...common,
    port: GRAPHTERM_PORT,
    bind: '0.0.0.0',
    externalHost: input.dnsName,
    externalPort: g.https ? 443 : 80,
    authType: g.authType,
    superUsers: g.authType === 'multiuser' ? input.user : undefined,
    https: g.https,
    extra: serverExtraOptions(g),
    joinCert: input.acceptHosts && input.identityCertificate ? IDENTITY_CERT_PATH : undefined,
  };
}

/** Pure (deterministic: gzip without a time stamp): the wrapper as base64 lines of 76 characters. */
export function packedWrapper(): string {
  return (gzipSync(Buffer.from(wrapperScript()), { level: 9 }).toString('base64').match(/.{1,76}/g) ?? []).join('\n');
}

/** Pure: the apt packages of an input (base first, duplicates dropped). */
export function aptPackagesFor(input: UserDataInput): string[] {
  const extra = input.graphterm.screen ? ['screen'] : [];
  return [...new Set([...BASE_APT_PACKAGES, ...extra, ...input.aptPackages])];
}

/** Pure: the hash-pinned requirements the instance installs (GraphTerm's, then --pylab/--netcdf's). */
export function requirementsFor(input: UserDataInput): string {
  return requirementsText([...GRAPHTERM_PIP_PINS, ...(input.pipPins ?? [])]);
}
