// The way to one instance, decided before connecting: the route (chooseRoute, with the endpoints of its
// VPC looked up only when the route may need one), whether to log in with a key pushed by EC2 Instance
// Connect, and the tunnel opener when the route goes through an endpoint.
import { existsSync } from 'node:fs';
import type { Duplex } from 'node:stream';
import type { AwsContext } from '../aws.js';
import type { Ec2 } from '../ec2.js';
import type { InstanceInfo } from '../instances.js';
import { keyFileCandidates } from '../paths.js';
import { DEFAULT_ACCESS, type AccessWish, type InstanceConnectWish } from './options.js';
import { chooseRoute, needsEndpoints, type EndpointInfo, type Route } from './route.js';

export interface AccessPlan {
  route: Route;
  /** Push a one-time key with EC2 Instance Connect before logging in. */
  instanceConnect: boolean;
  /** Only the pushed key is offered (--instance-connect); otherwise the usual keys follow it. */
  instanceConnectOnly: boolean;
  /** Set for a route through an endpoint: opens a new tunnel (one per connection attempt). */
  openSock?: () => Promise<Duplex>;
}

export interface AccessInput {
  aws: AwsContext;
  ec2: Ec2;
  access?: AccessWish;
  /** An address given by the caller: connect straight there. */
  host?: string;
  identityFile?: string | string[];
  port: number;
  env: NodeJS.ProcessEnv;
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * Pure: push a key with EC2 Instance Connect? Asked for: yes; refused: no; otherwise only when no key of
 * ours is at hand (no -i, and no saved file of the instance's key pair: launched elsewhere, or without one).
 */
export function wantsInstanceConnect(wish: InstanceConnectWish, has: { explicitIdentity: boolean; launchKeyFile: boolean }): boolean {
  if (wish === 'always') return true;
  if (wish === 'never') return false;
  return !has.explicitIdentity && !has.launchKeyFile;
}

/** Decides route and login for a running instance (may list the endpoints of its VPC). */
export async function planAccess(instance: InstanceInfo, o: AccessInput): Promise<AccessPlan> {
  const wish = o.access ?? DEFAULT_ACCESS;
  let route: Route;
  if (o.host) route = { kind: 'direct', addressType: 'public', host: o.host };
  else {
    let endpoints: EndpointInfo[] = [];
    if (needsEndpoints(instance, wish)) {
      const { describeEndpoints } = await import('./eice.js');
      endpoints = await describeEndpoints(o.ec2, wish.eiceId ? { ids: [wish.eiceId] } : { vpcIds: instance.vpcId ? [instance.vpcId] : undefined });
    }
    route = chooseRoute(instance, wish, endpoints);
    // A local target serves every instance's IPv6 SSH on one host (its 2600:1f18:: addresses lead nowhere here).
    if (o.aws.local?.ipv6Host && route.kind === 'direct' && route.addressType === 'ipv6') route = { ...route, host: o.aws.local.ipv6Host };
  }
  const explicitIdentity = o.identityFile !== undefined && (!Array.isArray(o.identityFile) || o.identityFile.length > 0);
  const launchKeyFile =
    Boolean(instance.keyName) &&
    keyFileCandidates(o.env, { keyName: instance.keyName!, region: instance.region, keyDir: o.aws.local?.keyDir }).some((p) => existsSync(p));
  const plan: AccessPlan = {
    route,
    instanceConnect: wantsInstanceConnect(wish.instanceConnect, { explicitIdentity, launchKeyFile }),
    instanceConnectOnly: wish.instanceConnect === 'always',
  };
  if (route.kind === 'eice') {
    const { endpoint, host } = route;
    plan.openSock = async () => {
      const { openTunnel } = await import('./eice.js');
      return openTunnel(o.aws, { endpoint, address: host, port: o.port, region: instance.region }, { timeoutMs: o.timeoutMs, signal: o.signal });
    };
  }
  return plan;
}

/** Pure: how a route reads in --verbose and in errors ("via eice-0123... to 10.0.1.5"). */
export function describeRoute(route: Route): string {
  return route.kind === 'eice' ? `through EC2 Instance Connect Endpoint ${route.endpoint.id}` : `at its ${route.addressType === 'ipv6' ? 'IPv6' : route.addressType} address`;
}
