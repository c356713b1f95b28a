// The instance as DescribeInstances and RunInstances send it: hand-written XML, cached per instance.
import { STATE_CODES, type Instance } from '../state.js';
import { esc, RawXml } from '../xml.js';
import { networkXml, privateDns, publicDns } from './instance-network.js';

const tag = (k: string, v: string | number | boolean | undefined) => (v === undefined ? '' : `<${k}>${typeof v === 'string' ? esc(v) : v}</${k}>`);
const iso = (t: number) => new Date(t).toISOString();

/**
 * The instance as EC2's `instancesSet/item` carries it, as an XML string. Written by hand and cached
 * per instance (keyed on everything that can change) because DescribeInstances over 10,000
 * instances must stay fast.
 */
const xmlCache = new WeakMap<Instance, { key: string; xml: string }>();
export function instanceItemXml(i: Instance): string {
  const key = `${i.state}|${i.stateSince}|${i.publicIp}|${i.noPublicIp}|${i.eipAllocationId}|${i.stateTransitionReason}|${i.blockDevices.length}|${i.groups.length}|${JSON.stringify(i.tags)}`;
  const hit = xmlCache.get(i);
  if (hit && hit.key === key) return hit.xml;
  const live = i.state !== 'terminated';
  const groups = i.groups.map((g) => `<item><groupId>${g.groupId}</groupId><groupName>${esc(g.groupName)}</groupName></item>`).join('');
  const bdm = live ? i.blockDevices.map((b) => `<item><deviceName>${b.deviceName}</deviceName><ebs><volumeId>${b.volumeId}</volumeId><status>attached</status><attachTime>${iso(b.attachTime)}</attachTime><deleteOnTermination>${b.deleteOnTermination}</deleteOnTermination></ebs></item>`).join('') : '';
  const tags = Object.entries(i.tags).map(([k, v]) => `<item><key>${esc(k)}</key><value>${esc(v)}</value></item>`).join('');
  const net = networkXml(i, groups, iso);
  const reason = i.stateReason ? `<stateReason><code>${esc(i.stateReason.code)}</code><message>${esc(i.stateReason.message)}</message></stateReason>` : '';
  const xml = '<item>'
    + `<instanceId>${i.id}</instanceId><imageId>${i.imageId}</imageId>`
    + `<instanceState><code>${STATE_CODES[i.state]}</code><name>${i.state}</name></instanceState>`
    + `<privateDnsName>${privateDns(i)}</privateDnsName><dnsName>${publicDns(i)}</dnsName>`
    + tag('reason', i.stateTransitionReason || undefined) + tag('keyName', i.keyName) + tag('amiLaunchIndex', i.amiLaunchIndex)
    + `<instanceType>${i.instanceType}</instanceType><launchTime>${iso(i.launchTime)}</launchTime>`
    + `<placement><availabilityZone>${i.az}</availabilityZone><groupName/><tenancy>default</tenancy></placement>`
    + net.addresses
    + `<groupSet>${groups}</groupSet>${reason}`
    + `<architecture>${i.architecture}</architecture><rootDeviceType>ebs</rootDeviceType><rootDeviceName>${i.rootDeviceName}</rootDeviceName>`
    + `<blockDeviceMapping>${bdm}</blockDeviceMapping><virtualizationType>hvm</virtualizationType>`
    + tag('clientToken', i.clientToken) + tag('instanceLifecycle', i.lifecycle) + `<tagSet>${tags}</tagSet>` + net.interfaces
    // EC2 sends more static fields (hypervisor, cpuOptions, metadataOptions...); the sandbox leaves them
    // out because the SDK's XML parser cost grows with every byte of a 1000-instance page.
    + '</item>';
  xmlCache.set(i, { key, xml });
  return xml;
}

/** A pre-rendered `instancesSet` (toXml passes RawXml through untouched). */
export const instancesSetXml = (insts: Instance[]): RawXml => new RawXml(insts.map(instanceItemXml).join(''));
