// The AWS client factory: region, endpoint, credentials, retries and user agent decided once, and
// SDK clients created lazily, one per service and region, only when a command sends a request.
import type { EC2Client, EC2ClientConfig } from '@aws-sdk/client-ec2';
import type { Route53Client } from '@aws-sdk/client-route-53';
import type { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import type { EC2InstanceConnectClient } from '@aws-sdk/client-ec2-instance-connect';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { isRegionName, parseRegionList } from './ids.js';
import { awsConfigPath, checkCredentialFiles, profileName, profileRegionFrom, readBoto, readIniFile, tildify } from './config-files.js';
import { resolveCredentials } from './credentials.js';
import { UsageError } from './errors.js';
import { LOCAL_TARGET_FLAG, openLocalTarget, type LocalTarget } from './target.js';
import type { Output } from './output.js';
import type { Prompt } from './prompt.js';
import { version } from './version.js';

export interface AwsSettings {
  region?: string;
  profile?: string;
  endpointUrl?: string;
  /** Talk to the local target (target.ts) instead of AWS. */
  local: boolean;
}

export interface AwsDeps {
  env: NodeJS.ProcessEnv;
  out: Output;
  prompt: Prompt;
}

export interface AwsContext {
  /** The command's region (the first, when --region named several). */
  region: string;
  regionSource: string;
  credentialSource: string;
  endpoints: Endpoints;
  /** Set when talking to the local target instead of AWS. */
  local?: LocalTarget;
  ec2(region?: string): Promise<EC2Client>;
  route53(): Promise<Route53Client>;
  /** Auto Scaling (fleets), at the EC2 endpoint: the local target serves both, as does one --endpoint-url. */
  autoScaling(region?: string): Promise<AutoScalingClient>;
  /** EC2 Instance Connect (SendSSHPublicKey). */
  instanceConnect(region?: string): Promise<EC2InstanceConnectClient>;
  /** The credentials every client signs with (also for presigning an endpoint tunnel's URL). */
  credentials: AwsCredentialIdentityProvider;
}

export interface Endpoints {
  ec2?: string;
  route53?: string;
  /** EC2 Instance Connect's API, and where endpoint tunnels are opened instead of each endpoint's DNS name. */
  instanceConnect?: string;
}

export const DEFAULT_REGION = 'us-east-1';

export interface RegionSources {
  flag?: string;
  env: NodeJS.ProcessEnv;
  profileRegion?: string;
  profile: string;
  botoRegion?: string;
  botoPath: string;
}

/** Pure: the region and where it came from, in the documented order. */
export function chooseRegion(s: RegionSources): { region: string; source: string; defaulted: boolean } {
  const pick = (region: string, source: string) => ({ region, source, defaulted: false });
  if (s.flag) {
    const list = parseRegionList(s.flag);
    return pick(list === 'all' ? DEFAULT_REGION : list[0], '--region');
  }
  if (s.env.AWS_REGION) return pick(checkRegion(s.env.AWS_REGION, 'AWS_REGION'), 'AWS_REGION');
  if (s.env.AWS_DEFAULT_REGION) return pick(checkRegion(s.env.AWS_DEFAULT_REGION, 'AWS_DEFAULT_REGION'), 'AWS_DEFAULT_REGION');
  if (s.profileRegion) return pick(checkRegion(s.profileRegion, `profile ${s.profile}`), `profile ${s.profile}`);
  if (s.botoRegion) return pick(checkRegion(s.botoRegion, s.botoPath), s.botoPath);
  return { region: DEFAULT_REGION, source: 'default', defaulted: true };
}

function checkRegion(value: string, from: string): string {
  if (!isRegionName(value)) throw new UsageError(`bad region "${value}" from ${from}: expected a region name such as us-east-1`);
  return value;
}

/** Pure: endpoint overrides from --endpoint-url, else AWS_ENDPOINT_URL_EC2 / _ROUTE_53, else AWS_ENDPOINT_URL. */
export function chooseEndpoints(flag: string | undefined, env: NodeJS.ProcessEnv): Endpoints {
  const check = (url: string | undefined, from: string) => {
    if (!url) return undefined;
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new UsageError(`bad endpoint URL "${url}" from ${from}: expected http://host:port or https://host`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new UsageError(`bad endpoint URL "${url}" from ${from}: only http and https are allowed`);
    }
    return url.replace(/\/+$/, '');
  };
  if (flag) {
    const url = check(flag, '--endpoint-url');
    return { ec2: url, route53: url, instanceConnect: url };
  }
  return {
    ec2: check(env.AWS_ENDPOINT_URL_EC2, 'AWS_ENDPOINT_URL_EC2') ?? check(env.AWS_ENDPOINT_URL, 'AWS_ENDPOINT_URL'),
    route53: check(env.AWS_ENDPOINT_URL_ROUTE_53, 'AWS_ENDPOINT_URL_ROUTE_53') ?? check(env.AWS_ENDPOINT_URL, 'AWS_ENDPOINT_URL'),
    instanceConnect:
      check(env.AWS_ENDPOINT_URL_EC2_INSTANCE_CONNECT, 'AWS_ENDPOINT_URL_EC2_INSTANCE_CONNECT') ?? check(env.AWS_ENDPOINT_URL, 'AWS_ENDPOINT_URL'),
  };
}

/** Pure: the settings every SDK client shares. */
export function clientConfig(region: string, endpoint: string | undefined, credentials: AwsCredentialIdentityProvider): EC2ClientConfig {
  return {
    region,
    endpoint,
    credentials,
    // Adaptive retries back off on throttling and retry 5xx and dropped connections.
    retryMode: 'adaptive',
    maxAttempts: 6,
    customUserAgent: `ec2term/${version()}`,
    requestHandler: { connectionTimeout: 5_000, requestTimeout: 60_000 },
  };
}

/**
 * Takes the SDK's logger middleware out of a client: ec2term logs nothing through the SDK, yet with the
 * default no-op logger that middleware still builds a redacted copy of every reply to hand it (170 ms of
 * a 10,000-instance listing).
 */
export function withoutSdkLogging<C extends { middlewareStack: { remove(name: string): boolean } }>(client: C): C {
  client.middlewareStack.remove('loggerMiddleware');
  return client;
}

/** Keeps the SDK's Node-version notice off users' terminals (it is about the SDK's future, not ec2term). */
export function quietSdk(env: NodeJS.ProcessEnv = process.env): void {
  env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
}

/** Decides region, endpoints and credentials (asking for keys on first run) and returns a client factory. */
export async function openAws(settings: AwsSettings, deps: AwsDeps): Promise<AwsContext> {
  quietSdk();
  const { env, out } = deps;
  // Before any SDK client: the SDK reads ~/.aws/* itself, whatever the target.
  await checkCredentialFiles(env);
  if (settings.local && settings.endpointUrl) {
    throw new UsageError(`--endpoint-url "${settings.endpointUrl}" conflicts with ${LOCAL_TARGET_FLAG}: it has its own endpoint`);
  }
  if (settings.local) return openLocal(settings, deps);

  const endpoints = chooseEndpoints(settings.endpointUrl, env);
  const profile = profileName(settings.profile, env);
  const needFiles = !settings.region && !env.AWS_REGION && !env.AWS_DEFAULT_REGION;
  const config = needFiles ? await readIniFile(awsConfigPath(env), env) : undefined;
  const boto = needFiles ? await readBoto(env) : undefined;
  const chosen = chooseRegion({
    flag: settings.region,
    env,
    profile,
    profileRegion: config && profileRegionFrom(config, profile),
    botoRegion: boto?.region,
    botoPath: tildify(boto?.path ?? '~/.boto', env),
  });

  if (endpoints.ec2) out.detail(`EC2 endpoint: ${endpoints.ec2}`);
  if (endpoints.route53) out.detail(`Route 53 endpoint: ${endpoints.route53}`);

  const verify = async (identity: AwsCredentialIdentity, region = chosen.region) => {
    const { EC2Client, DescribeRegionsCommand } = await import('@aws-sdk/client-ec2');
    const client = new EC2Client({ ...clientConfig(region, endpoints.ec2, async () => identity), maxAttempts: 2 });
    try {
      await client.send(new DescribeRegionsCommand({}));
    } finally {
      client.destroy();
    }
  };
  // First run with no region anywhere: the key prompt asks for one too and saves it beside the keys.
  const creds = await resolveCredentials(settings.profile, { env, out, prompt: deps.prompt, verify, askRegion: chosen.defaulted ? DEFAULT_REGION : undefined });
  const region = creds.region ?? chosen.region;
  const regionSource = creds.region ? creds.source : chosen.source;
  if (chosen.defaulted && !creds.region) {
    out.info(`${out.program}: no region configured; using ${DEFAULT_REGION} (set --region, AWS_REGION, or ec2_region_name in ~/.boto)`);
  }
  out.detail(`region: ${region} (from ${regionSource})`);
  return makeContext(region, regionSource, creds.source, endpoints, creds.provider);
}

async function openLocal(settings: AwsSettings, deps: AwsDeps): Promise<AwsContext> {
  const local = await openLocalTarget(deps.env, (p) => tildify(p, deps.env));
  const list = settings.region ? parseRegionList(settings.region) : undefined;
  const fromEnv = deps.env.AWS_REGION && isRegionName(deps.env.AWS_REGION) ? deps.env.AWS_REGION : undefined;
  const region = Array.isArray(list) ? list[0] : (fromEnv ?? local.defaultRegion);
  deps.out.detail(`${local.description}, region ${region}`);
  const provider: AwsCredentialIdentityProvider = async () => ({ accessKeyId: local.accessKeyId, secretAccessKey: local.secretAccessKey });
  const ctx = makeContext(region, settings.region ? '--region' : `${local.flag} default`, local.flag, { ec2: local.endpoint, route53: local.endpoint, instanceConnect: local.endpoint }, provider);
  return { ...ctx, local };
}

function makeContext(
  region: string,
  regionSource: string,
  credentialSource: string,
  endpoints: Endpoints,
  credentials: AwsCredentialIdentityProvider,
): AwsContext {
  const ec2Clients = new Map<string, Promise<EC2Client>>();
  let route53: Promise<Route53Client> | undefined;
  const autoScalingClients = new Map<string, Promise<AutoScalingClient>>();
  const instanceConnectClients = new Map<string, Promise<EC2InstanceConnectClient>>();
  return {
    region,
    regionSource,
    credentialSource,
    endpoints,
    credentials,
    ec2(forRegion = region) {
      let client = ec2Clients.get(forRegion);
      if (!client) {
        client = import('@aws-sdk/client-ec2').then(({ EC2Client }) => withoutSdkLogging(new EC2Client(clientConfig(forRegion, endpoints.ec2, credentials))));
        ec2Clients.set(forRegion, client);
      }
      return client;
    },
    route53() {
      // Route 53 is global; its API lives in us-east-1.
      route53 ??= import('@aws-sdk/client-route-53').then(
        ({ Route53Client }) => withoutSdkLogging(new Route53Client(clientConfig('us-east-1', endpoints.route53, credentials))),
      );
      return route53;
    },
    autoScaling(forRegion = region) {
      let client = autoScalingClients.get(forRegion);
      if (!client) {
        client = import('@aws-sdk/client-auto-scaling').then(({ AutoScalingClient }) => withoutSdkLogging(new AutoScalingClient(clientConfig(forRegion, endpoints.ec2, credentials))));
        autoScalingClients.set(forRegion, client);
      }
      return client;
    },
    instanceConnect(forRegion = region) {
      let client = instanceConnectClients.get(forRegion);
      if (!client) {
        client = import('@aws-sdk/client-ec2-instance-connect').then(
          ({ EC2InstanceConnectClient }) => withoutSdkLogging(new EC2InstanceConnectClient(clientConfig(forRegion, endpoints.instanceConnect, credentials))),
        );
        instanceConnectClients.set(forRegion, client);
      }
      return client;
    },
  };
}
