// The network side of an instance as DescribeInstances shows it: addresses, DNS names, subnet, VPC,
// its one network interface (IPv4, IPv6, the public association) and the IAM instance profile.
import { SANDBOX_ACCOUNT_ID } from '../ids.js';
import type { Instance } from '../state.js';
import { vpcIdFor } from '../world.js';
import { esc } from '../xml.js';
import { subnetOf } from './vpcs.js';

const dashed = (ip: string) => ip.replace(/\./g, '-');
const live = (i: Instance) => i.state === 'running' || i.state === 'pending' || i.state === 'stopping';

/** Whether DescribeInstances shows a public IPv4: an auto-assigned one while up, an Elastic IP until terminated. */
export const hasPublicIp = (i: Instance): boolean => !i.noPublicIp && (i.eipAllocationId ? i.state !== 'terminated' && i.state !== 'shutting-down' : live(i));
export const subnetIdOf = (i: Instance): string => i.subnetId ?? subnetOf(i.az);
export const vpcIdOf = (i: Instance): string => i.vpcId ?? vpcIdFor(i.region);

export const publicDns = (i: Instance): string => !hasPublicIp(i) ? ''
  : i.region === 'us-east-1' ? `ec2-${dashed(i.publicIp)}.compute-1.amazonaws.com` : `ec2-${dashed(i.publicIp)}.${i.region}.compute.amazonaws.com`;

/** IP-based names, or resource-based ones (i-0123....ec2.internal) on IPv6-only instances. */
export const privateDns = (i: Instance): string => i.state === 'terminated' ? ''
  : (i.region === 'us-east-1' ? `${i.privateIp ? `ip-${dashed(i.privateIp)}` : i.id}.ec2.internal` : `${i.privateIp ? `ip-${dashed(i.privateIp)}` : i.id}.${i.region}.compute.internal`);

const mac = (i: Instance) => `0e:${i.id.slice(2, 12).match(/../g)!.join(':')}`;
const tag = (k: string, v: string | undefined) => (v ? `<${k}>${esc(v)}</${k}>` : '');

/** The XML fields after <placement> up to <groupSet>, and the network interface set (not for bulk instances). */
export function networkXml(i: Instance, groupsXml: string, iso: (t: number) => string): { addresses: string; interfaces: string } {
  if (i.state === 'terminated') return { addresses: '', interfaces: '' };
  const pub = hasPublicIp(i);
  const v6 = i.ipv6Addresses ?? [];
  const addresses = `<subnetId>${subnetIdOf(i)}</subnetId><vpcId>${vpcIdOf(i)}</vpcId>` + tag('privateIpAddress', i.privateIp)
    + (pub ? `<ipAddress>${i.publicIp}</ipAddress>` : '') + tag('ipv6Address', v6[0])
    + (i.iamProfile ? `<iamInstanceProfile><arn>${esc(i.iamProfile.arn)}</arn><id>${i.iamProfile.id}</id></iamInstanceProfile>` : '');
  if (i.bulk) return { addresses, interfaces: '' };
  const assoc = pub ? `<association><publicIp>${i.publicIp}</publicIp><publicDnsName>${publicDns(i)}</publicDnsName><ipOwnerId>${i.eipAllocationId ? SANDBOX_ACCOUNT_ID : 'amazon'}</ipOwnerId></association>` : '';
  const eni = i.networkInterfaceId ?? `eni-${i.id.slice(2)}`;
  const interfaces = '<networkInterfaceSet><item>'
    + `<networkInterfaceId>${eni}</networkInterfaceId><subnetId>${subnetIdOf(i)}</subnetId><vpcId>${vpcIdOf(i)}</vpcId><description/>`
    + `<ownerId>${SANDBOX_ACCOUNT_ID}</ownerId><status>in-use</status><macAddress>${mac(i)}</macAddress>`
    + tag('privateIpAddress', i.privateIp) + tag('privateDnsName', privateDns(i)) + '<sourceDestCheck>true</sourceDestCheck>'
    + `<groupSet>${groupsXml}</groupSet>`
    + `<attachment><attachmentId>eni-attach-${i.id.slice(2)}</attachmentId><deviceIndex>0</deviceIndex><status>attached</status><attachTime>${iso(i.launchTime)}</attachTime><deleteOnTermination>true</deleteOnTermination><networkCardIndex>0</networkCardIndex></attachment>`
    + assoc
    + (i.privateIp ? `<privateIpAddressesSet><item><privateIpAddress>${i.privateIp}</privateIpAddress><privateDnsName>${privateDns(i)}</privateDnsName><primary>true</primary>${assoc}</item></privateIpAddressesSet>` : '<privateIpAddressesSet/>')
    + `<ipv6AddressesSet>${v6.map((a, n) => `<item><ipv6Address>${a}</ipv6Address><isPrimaryIpv6>${n === 0 && !i.privateIp}</isPrimaryIpv6></item>`).join('')}</ipv6AddressesSet>`
    + '<interfaceType>interface</interfaceType></item></networkInterfaceSet>';
  return { addresses, interfaces };
}
