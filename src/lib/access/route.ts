// Pure: which way to reach an instance (its public address, its IPv6 address, its private address, or an
// EC2 Instance Connect Endpoint in its VPC), and what to say when there is none. Tested with tables.
import { ConnectionError } from '../errors.js';
import { label, type InstanceInfo } from '../instances.js';
import { hintName } from '../untrusted.js';
import type { AccessWish, AddressType } from './options.js';

/** An EC2 Instance Connect Endpoint, as DescribeInstanceConnectEndpoints describes it. */
export interface EndpointInfo {
  id: string;
  vpcId?: string;
  subnetId?: string;
  state?: string;
  dnsName?: string;
  fipsDnsName?: string;
}

export type Route =
  | { kind: 'direct'; addressType: AddressType; host: string }
  | { kind: 'eice'; endpoint: EndpointInfo; /** the instance address the endpoint connects to */ host: string };

/** How ec2list says an instance is reached: its own address, an endpoint, or not from outside at all ('none': not running). */
export type Reach = 'public' | 'ipv6' | 'eice' | 'private-unreachable' | 'none';

type Addresses = Pick<InstanceInfo, 'publicIp' | 'publicDns' | 'ipv6' | 'privateIp' | 'vpcId' | 'subnetId'>;

/** Pure: the address of one type, if the instance has it. */
export function addressOf(i: Addresses, type: AddressType): string | undefined {
  if (type === 'public') return i.publicIp ?? i.publicDns;
  if (type === 'ipv6') return i.ipv6;
  return i.privateIp;
}

/** Pure: endpoints that can reach the instance: ready ones in its subnet first, then the rest of its VPC. */
export function endpointsFor(i: Addresses, endpoints: EndpointInfo[]): EndpointInfo[] {
  const ready = endpoints.filter((e) => (e.state ?? 'create-complete') === 'create-complete' && e.vpcId !== undefined && e.vpcId === i.vpcId);
  return [...ready.filter((e) => e.subnetId === i.subnetId), ...ready.filter((e) => e.subnetId !== i.subnetId)];
}

/** Pure: does choosing a route for this instance need the list of endpoints? (Saves a call when not.) */
export function needsEndpoints(i: Addresses, wish: AccessWish): boolean {
  if (wish.via === 'eice') return true;
  if (wish.via === 'direct' || wish.addressType) return false;
  return !addressOf(i, 'public') && !addressOf(i, 'ipv6') && Boolean(i.privateIp);
}

function has(i: Addresses): string {
  const parts = [
    i.publicIp && `public ${i.publicIp}`,
    i.ipv6 && `IPv6 ${i.ipv6}`,
    i.privateIp && `private ${i.privateIp}`,
  ].filter(Boolean);
  return parts.length ? `it has ${parts.join(', ')}` : 'it has no address';
}

/** Pure: the line that says how to make an endpoint for this instance. */
export function createEndpointHint(i: Addresses): string {
  return `create one with: aws ec2 create-instance-connect-endpoint --subnet-id ${i.subnetId ?? 'SUBNET-ID'}   (then wait for its state create-complete)`;
}

/**
 * Pure: the route for one instance. `endpoints` are those DescribeInstanceConnectEndpoints returned (any
 * VPC; filtered here). Throws ConnectionError (exit 255) saying what to do when there
 * is no way: a missing address type, no endpoint in the VPC, a private-only instance with no endpoint.
 */
export function chooseRoute(instance: InstanceInfo, wish: AccessWish, endpoints: EndpointInfo[] = []): Route {
  const name = hintName(instance);
  const fail = (message: string, hint: string) => new ConnectionError(message, { hint });
  if (wish.via === 'eice') {
    const type: AddressType = wish.addressType ?? (instance.privateIp ? 'private' : 'ipv6');
    const host = addressOf(instance, type);
    if (!host) throw fail(`${label(instance)} has no ${type === 'ipv6' ? 'IPv6' : 'private'} address for an endpoint to reach (${has(instance)})`, `try --address-type ${type === 'ipv6' ? 'private' : 'ipv6'}`);
    if (wish.eiceId) {
      const endpoint = endpoints.find((e) => e.id === wish.eiceId);
      if (!endpoint) throw fail(`no EC2 Instance Connect Endpoint ${wish.eiceId} in ${instance.region}`, 'list them with: aws ec2 describe-instance-connect-endpoints');
      if (endpoint.state && endpoint.state !== 'create-complete') throw fail(`EC2 Instance Connect Endpoint ${endpoint.id} is ${endpoint.state}, not ready`, 'wait for create-complete, or pick another with --eice-id');
      if (endpoint.vpcId && instance.vpcId && endpoint.vpcId !== instance.vpcId) {
        throw fail(`EC2 Instance Connect Endpoint ${endpoint.id} is in ${endpoint.vpcId}, but ${label(instance)} is in ${instance.vpcId}`, `drop --eice-id to pick one in ${instance.vpcId}, or ${createEndpointHint(instance)}`);
      }
      return { kind: 'eice', endpoint, host };
    }
    const endpoint = endpointsFor(instance, endpoints)[0];
    if (!endpoint) throw fail(`no EC2 Instance Connect Endpoint in ${instance.vpcId ?? 'the VPC'} of ${label(instance)}`, createEndpointHint(instance));
    return { kind: 'eice', endpoint, host };
  }
  if (wish.addressType) {
    const host = addressOf(instance, wish.addressType);
    if (host) return { kind: 'direct', addressType: wish.addressType, host };
    const what = wish.addressType === 'public' ? 'public IPv4 address' : wish.addressType === 'ipv6' ? 'IPv6 address' : 'private address';
    const other = (['public', 'ipv6', 'private'] as const).find((t) => addressOf(instance, t));
    throw fail(`${label(instance)} has no ${what} (${has(instance)})`, other ? `use --address-type ${other}` : `check it with: ec2list ${name}`);
  }
  for (const type of ['public', 'ipv6'] as const) {
    const host = addressOf(instance, type);
    if (host) return { kind: 'direct', addressType: type, host };
  }
  if (!instance.privateIp) throw fail(`${label(instance)} has no address to connect to`, `check it with: ec2list ${name}`);
  if (wish.via === 'direct') return { kind: 'direct', addressType: 'private', host: instance.privateIp };
  const endpoint = endpointsFor(instance, endpoints)[0];
  if (endpoint) return { kind: 'eice', endpoint, host: instance.privateIp };
  throw fail(
    `${label(instance)} has only a private address (${instance.privateIp}) and no EC2 Instance Connect Endpoint is in its VPC ${instance.vpcId ?? ''}`.trimEnd(),
    `${createEndpointHint(instance)}; or, from inside the VPC or over a VPN: --address-type private`,
  );
}

/** Pure: ec2list's REACH for an instance, given every endpoint in its region. */
export function reachOf(instance: InstanceInfo, endpoints: EndpointInfo[]): Reach {
  // A stopped instance has lost its public address (unless it holds an Elastic IP): no route to tell yet.
  if (instance.state !== 'running' && instance.state !== 'pending') return 'none';
  if (addressOf(instance, 'public')) return 'public';
  if (instance.ipv6) return 'ipv6';
  if (!instance.privateIp) return 'none';
  return endpointsFor(instance, endpoints).length ? 'eice' : 'private-unreachable';
}

/** Pure: host for messages and URLs: IPv6 in brackets. */
export function hostForDisplay(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}
