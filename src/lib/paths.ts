// Where ec2term keeps its own files. Private keys and known hosts live in 0700 folders.
import { join } from 'node:path';
import { homeDir } from './config-files.js';

/** $XDG_CONFIG_HOME/ec2term, else ~/.config/ec2term. */
export function configDir(env: NodeJS.ProcessEnv): string {
  return join(env.XDG_CONFIG_HOME || join(homeDir(env), '.config'), 'ec2term');
}

/** ec2term's own known_hosts, keyed by instance id (OpenSSH format, usable with HostKeyAlias). */
export function knownHostsPath(env: NodeJS.ProcessEnv): string {
  return env.EC2TERM_KNOWN_HOSTS || join(configDir(env), 'known_hosts');
}

export interface KeyLocation {
  keyName: string;
  region: string;
  /** The local target's key folder (target.ts): its keys stay out of ~/.ssh. */
  keyDir?: string;
}

/** The file where ec2launch saves the private key of a key pair it created. */
export function keyFilePath(env: NodeJS.ProcessEnv, k: KeyLocation): string {
  const file = `ec2term-${k.region}-${k.keyName}.pem`;
  return k.keyDir ? join(k.keyDir, file) : join(homeDir(env), '.ssh', file);
}

/** Files that may hold a key pair's private key: ec2term's own, then the usual AWS download names. */
export function keyFileCandidates(env: NodeJS.ProcessEnv, k: KeyLocation): string[] {
  const ssh = join(homeDir(env), '.ssh');
  const own = keyFilePath(env, k);
  return k.keyDir ? [own] : [own, join(ssh, `${k.keyName}.pem`), join(ssh, k.keyName)];
}

/** The usual OpenSSH identity files, tried after the launch key and the agent. */
export function defaultIdentityFiles(env: NodeJS.ProcessEnv): string[] {
  const ssh = join(homeDir(env), '.ssh');
  return ['id_ed25519', 'id_ecdsa', 'id_rsa'].map((f) => join(ssh, f));
}
