// The configuration files ec2term reads: boto's ~/.boto (the original scripts' home for keys and
// region) and the AWS CLI's shared config (for a profile's region). Pure parsing plus small readers.
import { homedir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from './errors.js';
import { checkRegularFile, NotRegularFileError, readIfExists } from './fsutil.js';
import { IniSyntaxError, parseIni, type IniSections } from './inifile.js';

export function homeDir(env: NodeJS.ProcessEnv): string {
  return env.HOME || homedir();
}

/** "~" and "~/x" -> under HOME, as OpenSSH does for -i and IdentityFile (not "~user/x"). */
export function expandHome(path: string, env: NodeJS.ProcessEnv): string {
  return path === '~' || path.startsWith('~/') ? `${homeDir(env)}${path.slice(1)}` : path;
}

/** Shortens a path under HOME to ~/... for messages. */
export function tildify(path: string, env: NodeJS.ProcessEnv): string {
  const home = homeDir(env);
  return path === home || path.startsWith(`${home}/`) ? `~${path.slice(home.length)}` : path;
}

/** BOTO_CONFIG if set, else ~/.boto: where boto (and so the original scripts) kept credentials. */
export function botoPath(env: NodeJS.ProcessEnv): string {
  return env.BOTO_CONFIG || join(homeDir(env), '.boto');
}

export function awsConfigPath(env: NodeJS.ProcessEnv): string {
  return env.AWS_CONFIG_FILE || join(homeDir(env), '.aws', 'config');
}

export function awsCredentialsPath(env: NodeJS.ProcessEnv): string {
  return env.AWS_SHARED_CREDENTIALS_FILE || join(homeDir(env), '.aws', 'credentials');
}

export interface BotoSettings {
  path: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
  region?: string;
}

function notRegular(err: NotRegularFileError, env: NodeJS.ProcessEnv): UsageError {
  return new UsageError(`${tildify(err.path, env)} is ${err.kind}, not a regular file; not reading it`, {
    hint: 'a FIFO or device there would make every AWS tool wait forever: replace it with a regular file or move it aside',
  });
}

/**
 * The files the AWS SDK's own loaders read (shared config and credentials, the web identity token) and
 * boto's: each must be a regular file or absent. Checked before any SDK client exists, because the SDK
 * reads them itself (settings, credentials) and would wait forever on a FIFO.
 */
export async function checkCredentialFiles(env: NodeJS.ProcessEnv): Promise<void> {
  const paths = [awsConfigPath(env), awsCredentialsPath(env), botoPath(env), env.AWS_WEB_IDENTITY_TOKEN_FILE].filter((p): p is string => Boolean(p));
  for (const path of paths) {
    try {
      await checkRegularFile(path);
    } catch (err) {
      if (err instanceof NotRegularFileError) throw notRegular(err, env);
      throw new UsageError(`cannot read ${tildify(path, env)}: ${(err as Error).message}`);
    }
  }
}

/** Reads a config file as INI; a damaged file is a clear error naming it, never silently ignored. */
export async function readIniFile(path: string, env: NodeJS.ProcessEnv): Promise<IniSections | undefined> {
  let text: string | undefined;
  try {
    text = await readIfExists(path);
  } catch (err) {
    if (err instanceof NotRegularFileError) throw notRegular(err, env);
    throw new UsageError(`cannot read ${tildify(path, env)}: ${(err as Error).message}`);
  }
  if (text === undefined) return undefined;
  try {
    return parseIni(text);
  } catch (err) {
    if (err instanceof IniSyntaxError) {
      throw new UsageError(`${tildify(path, env)} is damaged (${err.message}); fix or move it aside`);
    }
    throw err;
  }
}

/** Pure: the boto settings in parsed INI sections. */
export function botoSettingsFrom(sections: IniSections, path: string): BotoSettings {
  const creds = sections.get('Credentials');
  const boto = sections.get('Boto');
  return {
    path,
    accessKeyId: creds?.get('aws_access_key_id') || undefined,
    secretAccessKey: creds?.get('aws_secret_access_key') || undefined,
    sessionToken: creds?.get('aws_security_token') || creds?.get('aws_session_token') || undefined,
    region: boto?.get('ec2_region_name') || boto?.get('region') || undefined,
  };
}

export async function readBoto(env: NodeJS.ProcessEnv): Promise<BotoSettings | undefined> {
  const path = botoPath(env);
  const sections = await readIniFile(path, env);
  return sections && botoSettingsFrom(sections, path);
}

/** The profile ec2term uses: --profile, else AWS_PROFILE, else "default". */
export function profileName(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  return flag || env.AWS_PROFILE || env.AWS_DEFAULT_PROFILE || 'default';
}

/** Pure: a profile's region from the AWS CLI config file sections. */
export function profileRegionFrom(sections: IniSections, profile: string): string | undefined {
  const section = profile === 'default' ? (sections.get('default') ?? sections.get('profile default')) : sections.get(`profile ${profile}`);
  return section?.get('region') || undefined;
}

/** Does the shared config or credentials file define this profile? */
export function hasProfile(config: IniSections | undefined, credentials: IniSections | undefined, profile: string): boolean {
  const inConfig = profile === 'default' ? config?.has('default') || config?.has('profile default') : config?.has(`profile ${profile}`);
  return Boolean(inConfig || credentials?.has(profile));
}
