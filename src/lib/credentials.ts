// Where AWS credentials come from, in this order (documented in the README):
//   1. AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN)
//   2. an AWS profile: --profile or AWS_PROFILE (only that one, no fallback), else [default]
//      in ~/.aws/credentials or ~/.aws/config - with SSO, credential_process, assume-role as the SDK does
//   3. web identity (AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN)
//   4. boto's file: BOTO_CONFIG or ~/.boto, [Credentials] aws_access_key_id / aws_secret_access_key
//   5. the container endpoint (ECS) and the instance metadata service (skipped when
//      AWS_EC2_METADATA_DISABLED=true)
// When none has keys: on a terminal, ask once, verify, save to the boto file (0600) and go on;
// without one, fail with exit 4 and say where keys can go.
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { AwsRefusedError, Ec2termError, fromAwsError, NO_CREDENTIALS_HINT } from './errors.js';
import {
  awsConfigPath,
  awsCredentialsPath,
  botoPath,
  hasProfile,
  readBoto,
  readIniFile,
  tildify,
} from './config-files.js';
import { readIfExists, writeFileAtomic } from './fsutil.js';
import { setIniValues, parseIni } from './inifile.js';
import type { Output } from './output.js';
import type { Prompt } from './prompt.js';
import { isRegionName } from './ids.js';
import { maskAccessKeyId } from './secrets.js';

export interface ResolvedCredentials {
  /** A provider the SDK clients call; it caches and refreshes where the source allows. */
  provider: AwsCredentialIdentityProvider;
  /** Where they came from, for --verbose: "environment", "profile dev (~/.aws/config)", "~/.boto"... */
  source: string;
  /** The access key id, for --verbose (masked when printed). */
  accessKeyId: string;
  /** A region the user gave with the keys on first run (saved with them); undefined otherwise. */
  region?: string;
}

export interface CredentialDeps {
  env: NodeJS.ProcessEnv;
  prompt: Prompt;
  out: Output;
  /** Checks keys with a cheap AWS call (in `region` when given); throws when AWS refuses them. */
  verify: (identity: AwsCredentialIdentity, region?: string) => Promise<void>;
  /** No region is configured anywhere: on first run, ask for one too (this is the suggested answer). */
  askRegion?: string;
}

interface Candidate {
  source: string;
  load: () => Promise<AwsCredentialIdentityProvider | undefined>;
  /** When this source is set but fails, stop: the user asked for it explicitly. */
  explicit?: boolean;
}

const staticProvider = (identity: AwsCredentialIdentity): AwsCredentialIdentityProvider => async () => identity;

type Providers = typeof import('@aws-sdk/credential-providers');
let providers: Promise<Providers> | undefined;
const loadProviders = () => (providers ??= import('@aws-sdk/credential-providers'));

/** The ordered sources for this environment (pure apart from reading config files). */
async function candidates(profileFlag: string | undefined, env: NodeJS.ProcessEnv): Promise<Candidate[]> {
  const list: Candidate[] = [];
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    list.push({
      source: 'environment (AWS_ACCESS_KEY_ID)',
      explicit: true,
      load: async () =>
        staticProvider({
          accessKeyId: env.AWS_ACCESS_KEY_ID!,
          secretAccessKey: env.AWS_SECRET_ACCESS_KEY!,
          sessionToken: env.AWS_SESSION_TOKEN || undefined,
        }),
    });
  }
  const explicitProfile = profileFlag || env.AWS_PROFILE;
  const profile = explicitProfile || 'default';
  const config = await readIniFile(awsConfigPath(env), env);
  const credentials = await readIniFile(awsCredentialsPath(env), env);
  if (explicitProfile || hasProfile(config, credentials, profile)) {
    const where = hasProfile(undefined, credentials, profile) ? awsCredentialsPath(env) : awsConfigPath(env);
    list.push({
      source: `profile ${profile} (${tildify(where, env)})`,
      explicit: Boolean(explicitProfile),
      load: async () => {
        if (explicitProfile && !hasProfile(config, credentials, profile)) {
          throw new AwsRefusedError(`profile "${profile}" is not in ${tildify(awsConfigPath(env), env)} or ${tildify(awsCredentialsPath(env), env)}`, 'ProfileNotFound', {
            hint: `run \`aws configure --profile ${profile}\` or choose another --profile`,
          });
        }
        return (await loadProviders()).fromIni({ profile, ignoreCache: true, filepath: awsCredentialsPath(env), configFilepath: awsConfigPath(env) });
      },
    });
  }
  if (env.AWS_WEB_IDENTITY_TOKEN_FILE && env.AWS_ROLE_ARN) {
    list.push({ source: 'web identity token', load: async () => (await loadProviders()).fromTokenFile() });
  }
  list.push({
    source: tildify(botoPath(env), env),
    load: async () => {
      const boto = await readBoto(env);
      if (!boto?.accessKeyId || !boto.secretAccessKey) return undefined;
      return staticProvider({ accessKeyId: boto.accessKeyId, secretAccessKey: boto.secretAccessKey, sessionToken: boto.sessionToken });
    },
  });
  if (env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI || env.AWS_CONTAINER_CREDENTIALS_FULL_URI) {
    list.push({ source: 'container credentials endpoint', load: async () => (await loadProviders()).fromContainerMetadata({ timeout: 2000, maxRetries: 1 }) });
  }
  if (env.AWS_EC2_METADATA_DISABLED !== 'true') {
    list.push({ source: 'instance metadata (IMDS)', load: async () => (await loadProviders()).fromInstanceMetadata({ timeout: 1000, maxRetries: 0 }) });
  }
  return list;
}

/** Finds credentials along the chain; on a terminal with none found, asks for keys once. */
export async function resolveCredentials(profileFlag: string | undefined, deps: CredentialDeps): Promise<ResolvedCredentials> {
  for (const candidate of await candidates(profileFlag, deps.env)) {
    let provider: AwsCredentialIdentityProvider | undefined;
    let identity: AwsCredentialIdentity | undefined;
    try {
      provider = await candidate.load();
      identity = provider && (await provider());
    } catch (err) {
      if (err instanceof Ec2termError) throw err;
      if (candidate.explicit) {
        throw new AwsRefusedError(`credentials from ${candidate.source} could not be loaded: ${(err as Error).message}`, 'CredentialsProviderError', {
          cause: err,
          hint: profileFlag || deps.env.AWS_PROFILE ? 'for SSO profiles run `aws sso login` first' : undefined,
        });
      }
      deps.out.detail(`credentials: nothing from ${candidate.source}`);
      continue;
    }
    if (provider && identity?.accessKeyId) {
      deps.out.detail(`credentials: ${candidate.source}, access key ${maskAccessKeyId(identity.accessKeyId)}`);
      return { provider, source: candidate.source, accessKeyId: identity.accessKeyId };
    }
  }
  if (!deps.prompt.interactive) {
    throw new AwsRefusedError('no AWS credentials found', 'NoCredentials', { hint: NO_CREDENTIALS_HINT });
  }
  return askAndSave(deps);
}

const ACCESS_KEY_ID = /^(AKIA|ASIA|AIDA|AROA)?[A-Z0-9]{16,128}$/;

/**
 * First run: ask for keys (secret masked) and, when none is configured, a region; verify; save to the boto
 * file atomically with mode 0600. Keys AWS refuses are asked for once more before the run ends.
 */
async function askAndSave(deps: CredentialDeps): Promise<ResolvedCredentials> {
  const path = botoPath(deps.env);
  deps.out.info(`No AWS credentials found. Enter an access key; it is saved to ${tildify(path, deps.env)} (mode 0600).`);
  const region = deps.askRegion === undefined
    ? undefined
    : (await deps.prompt.input('AWS region:', { default: deps.askRegion, validate: (v) => (isRegionName(v.trim()) ? true : 'a region name such as us-east-1 or eu-west-1') })).trim();
  let previousKeyId: string | undefined;
  for (let attempt = 1; ; attempt++) {
    const accessKeyId = (
      await deps.prompt.input('AWS access key id:', {
        default: previousKeyId,
        validate: (v) => (ACCESS_KEY_ID.test(v.trim()) ? true : 'an access key id is 16 or more capital letters and digits, such as AKIA...'),
      })
    ).trim();
    const secretAccessKey = (
      await deps.prompt.password('AWS secret access key:', { validate: (v) => (v.trim().length >= 16 ? true : 'that is too short for a secret access key') })
    ).trim();
    const identity = { accessKeyId, secretAccessKey };
    try {
      await deps.verify(identity, region);
    } catch (err) {
      const typed = fromAwsError(err, 'checking the keys');
      if (attempt === 1 && typed instanceof AwsRefusedError) {
        deps.out.warn(`${typed.message}; enter the keys again`);
        previousKeyId = accessKeyId;
        continue;
      }
      throw new AwsRefusedError(`${typed.message}; nothing was saved`, 'InvalidCredentials', { cause: err });
    }
    await saveBotoCredentials(path, identity, deps.env, region);
    deps.out.info(`Saved to ${tildify(path, deps.env)}${region ? ` (with the region ${region})` : ''}.`);
    return { provider: staticProvider(identity), source: tildify(path, deps.env), accessKeyId, region };
  }
}

/** Writes keys into the boto file's [Credentials], keeping the rest of an existing file as it was. */
export async function saveBotoCredentials(path: string, identity: AwsCredentialIdentity, env: NodeJS.ProcessEnv, region?: string): Promise<void> {
  const existing = (await readIfExists(path)) ?? '';
  try {
    parseIni(existing);
  } catch (err) {
    throw new AwsRefusedError(`${tildify(path, env)} is damaged (${(err as Error).message}); not overwriting it`, 'DamagedConfig');
  }
  let text = setIniValues(existing, 'Credentials', {
    aws_access_key_id: identity.accessKeyId,
    aws_secret_access_key: identity.secretAccessKey,
  });
  // Where boto (and ec2term, after AWS_REGION and the profile) reads the region.
  if (region) text = setIniValues(text, 'Boto', { ec2_region_name: region });
  await writeFileAtomic(path, text, 0o600);
}
