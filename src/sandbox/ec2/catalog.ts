// Read-only world: regions, zones, images and instance types.
import { SANDBOX_REGIONS } from '../constants.js';
import { ApiError } from '../errors.js';
import { stableId } from '../ids.js';
import type { Sandbox } from '../world.js';
import { compileFilters } from './filters.js';
import { tagSet, type Params } from './params.js';

export function azsOf(region: string): string[] {
  const n = region === 'us-east-1' ? 6 : region === 'us-west-1' ? 2 : 3;
  const letters = region === 'us-west-1' ? ['b', 'c'] : ['a', 'b', 'c', 'd', 'e', 'f'];
  return letters.slice(0, n).map((l) => region + l);
}

export function describeRegions(_s: Sandbox, _region: string, p: Params) {
  const names = p.list('RegionName');
  for (const n of names) if (!SANDBOX_REGIONS.includes(n)) throw new ApiError('InvalidParameterValue', `Invalid region: ${n}`);
  const match = compileFilters<string>(p.filters(), new Set(['region-name', 'endpoint', 'opt-in-status']), (r, f) =>
    f === 'region-name' ? [r] : f === 'endpoint' ? [`ec2.${r}.amazonaws.com`] : ['opt-in-not-required']);
  return {
    regionInfo: SANDBOX_REGIONS.filter((r) => (names.length === 0 || names.includes(r)) && match(r))
      .map((r) => ({ regionName: r, regionEndpoint: `ec2.${r}.amazonaws.com`, optInStatus: 'opt-in-not-required' })),
  };
}

export function describeAvailabilityZones(_s: Sandbox, region: string, p: Params) {
  const names = p.list('ZoneName');
  const zones = azsOf(region).map((z, i) => ({ z, id: `${region.replace(/-(\w)\w*-/, (_m, c: string) => c + '')}-az${i + 1}` }));
  const match = compileFilters<{ z: string; id: string }>(p.filters(), new Set(['zone-name', 'zone-id', 'region-name', 'state', 'zone-type']), (r, f) =>
    f === 'zone-name' ? [r.z] : f === 'zone-id' ? [r.id] : f === 'region-name' ? [region] : f === 'state' ? ['available'] : ['availability-zone']);
  for (const n of names) if (!zones.some((z) => z.z === n)) throw new ApiError('InvalidParameterValue', `The zone '${n}' does not exist.`);
  return {
    availabilityZoneInfo: zones.filter((z) => (names.length === 0 || names.includes(z.z)) && match(z)).map((z) => ({
      zoneName: z.z, zoneState: 'available', regionName: region, zoneId: z.id, groupName: region,
      networkBorderGroup: region, zoneType: 'availability-zone', optInStatus: 'opt-in-not-required', messageSet: [],
    })),
  };
}

export interface Image {
  id: string; name: string; description: string; ownerId: string; ownerAlias?: string; architecture: string;
  creationDate: string; rootDeviceName: string; platformDetails: string; snapshotId: string; size: number;
}

const IMAGE_SPECS = [
  { name: 'ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20251001', description: 'Canonical, Ubuntu, 24.04, amd64 noble image', ownerId: '099720109477', architecture: 'x86_64', creationDate: '2025-10-01T08:12:45.000Z', rootDeviceName: '/dev/sda1', platformDetails: 'Linux/UNIX', size: 8 },
  { name: 'ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-arm64-server-20251001', description: 'Canonical, Ubuntu, 24.04, arm64 noble image', ownerId: '099720109477', architecture: 'arm64', creationDate: '2025-10-01T08:13:02.000Z', rootDeviceName: '/dev/sda1', platformDetails: 'Linux/UNIX', size: 8 },
  { name: 'ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-20250516', description: 'Canonical, Ubuntu, 22.04 LTS, amd64 jammy image', ownerId: '099720109477', architecture: 'x86_64', creationDate: '2025-05-16T09:40:11.000Z', rootDeviceName: '/dev/sda1', platformDetails: 'Linux/UNIX', size: 8 },
  { name: 'ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-arm64-server-20250516', description: 'Canonical, Ubuntu, 22.04 LTS, arm64 jammy image', ownerId: '099720109477', architecture: 'arm64', creationDate: '2025-05-16T09:40:11.000Z', rootDeviceName: '/dev/sda1', platformDetails: 'Linux/UNIX', size: 8 },
  { name: 'al2023-ami-2023.9.20251014.0-kernel-6.1-x86_64', description: 'Amazon Linux 2023 AMI 2023.9.20251014.0 x86_64 HVM kernel-6.1', ownerId: '137112412989', ownerAlias: 'amazon', architecture: 'x86_64', creationDate: '2025-10-14T19:53:18.000Z', rootDeviceName: '/dev/xvda', platformDetails: 'Linux/UNIX', size: 8 },
  { name: 'debian-12-amd64-20251006-2257', description: 'Debian 12 (20251006-2257)', ownerId: '136693071363', architecture: 'x86_64', creationDate: '2025-10-06T23:19:47.000Z', rootDeviceName: '/dev/xvda', platformDetails: 'Linux/UNIX', size: 8 },
];

const imageCache = new Map<string, Image[]>();
export function imagesOf(region: string): Image[] {
  let list = imageCache.get(region);
  if (!list) {
    list = IMAGE_SPECS.map((s) => ({ ...s, id: stableId('ami', `${region}/${s.name}`), snapshotId: stableId('snap', `${region}/${s.name}`) }));
    imageCache.set(region, list);
  }
  return list;
}

export function findImage(region: string, id: string): Image | undefined {
  return imagesOf(region).find((i) => i.id === id);
}

const IMAGE_FILTERS = new Set(['name', 'owner-id', 'owner-alias', 'architecture', 'state', 'image-id', 'description', 'is-public', 'root-device-type', 'virtualization-type', 'image-type', 'platform-details']);

export function describeImages(s: Sandbox, region: string, p: Params) {
  const ids = p.list('ImageId');
  const owners = p.list('Owner');
  const tagsOf = (id: string) => s.world.regions[region]?.otherTags[id] ?? {};
  for (const id of ids) {
    if (!/^ami-[0-9a-f]{8,17}$/.test(id)) throw new ApiError('InvalidAMIID.Malformed', `Invalid id: "${id}" (expecting "ami-...")`);
    if (!findImage(region, id)) throw new ApiError('InvalidAMIID.NotFound', `The image id '[${id}]' does not exist`);
  }
  const match = compileFilters<Image>(p.filters(), IMAGE_FILTERS, (im, f) => {
    switch (f) {
      case 'name': return [im.name];
      case 'owner-id': return [im.ownerId];
      case 'owner-alias': return [im.ownerAlias];
      case 'architecture': return [im.architecture];
      case 'state': return ['available'];
      case 'image-id': return [im.id];
      case 'description': return [im.description];
      case 'is-public': return ['true'];
      case 'root-device-type': return ['ebs'];
      case 'virtualization-type': return ['hvm'];
      case 'image-type': return ['machine'];
      case 'platform-details': return [im.platformDetails];
      default: { const t = tagsOf(im.id); return f === 'tag-key' ? Object.keys(t) : f === 'tag-value' ? Object.values(t) : [t[f.slice(4)]]; }
    }
  });
  const ownerOk = (im: Image) => owners.length === 0 || owners.some((o) => o === im.ownerId || o === im.ownerAlias || (o === 'self' && false));
  const list = imagesOf(region).filter((im) => (ids.length === 0 || ids.includes(im.id)) && ownerOk(im) && match(im));
  return {
    imagesSet: list.map((im) => ({
      imageId: im.id, imageLocation: `${im.ownerAlias ?? im.ownerId}/${im.name}`, imageState: 'available', imageOwnerId: im.ownerId,
      creationDate: im.creationDate, isPublic: true, architecture: im.architecture, imageType: 'machine', name: im.name,
      description: im.description, imageOwnerAlias: im.ownerAlias, rootDeviceType: 'ebs', rootDeviceName: im.rootDeviceName,
      blockDeviceMapping: [{ deviceName: im.rootDeviceName, ebs: { snapshotId: im.snapshotId, volumeSize: im.size, deleteOnTermination: true, volumeType: 'gp3', encrypted: false } }],
      virtualizationType: 'hvm', hypervisor: 'xen', enaSupport: true, sriovNetSupport: 'simple', platformDetails: im.platformDetails,
      usageOperation: 'RunInstances', bootMode: 'uefi-preferred', tagSet: tagSet(tagsOf(im.id)),
    })),
  };
}

export interface InstanceTypeInfo { name: string; vcpus: number; memoryMiB: number; arch: 'x86_64' | 'arm64'; clock: number; freeTier?: boolean; burstable: boolean; network: string }
export const INSTANCE_TYPES: InstanceTypeInfo[] = [
  { name: 't3.micro', vcpus: 2, memoryMiB: 1024, arch: 'x86_64', clock: 2.5, freeTier: true, burstable: true, network: 'Up to 5 Gigabit' },
  { name: 't3.small', vcpus: 2, memoryMiB: 2048, arch: 'x86_64', clock: 2.5, freeTier: true, burstable: true, network: 'Up to 5 Gigabit' },
  { name: 't3.medium', vcpus: 2, memoryMiB: 4096, arch: 'x86_64', clock: 2.5, burstable: true, network: 'Up to 5 Gigabit' },
  { name: 't3.large', vcpus: 2, memoryMiB: 8192, arch: 'x86_64', clock: 2.5, burstable: true, network: 'Up to 5 Gigabit' },
  { name: 'm7i.large', vcpus: 2, memoryMiB: 8192, arch: 'x86_64', clock: 3.2, burstable: false, network: 'Up to 12.5 Gigabit' },
  { name: 'c7i.large', vcpus: 2, memoryMiB: 4096, arch: 'x86_64', clock: 3.2, burstable: false, network: 'Up to 12.5 Gigabit' },
  { name: 't4g.small', vcpus: 2, memoryMiB: 2048, arch: 'arm64', clock: 2.5, freeTier: true, burstable: true, network: 'Up to 5 Gigabit' },
];
export const findType = (n: string): InstanceTypeInfo | undefined => INSTANCE_TYPES.find((t) => t.name === n);

export function describeInstanceTypes(_s: Sandbox, _region: string, p: Params) {
  const names = p.list('InstanceType');
  for (const n of names) if (!findType(n)) throw new ApiError('InvalidInstanceType', `The following supplied instance types do not exist: [${n}]`);
  const match = compileFilters<InstanceTypeInfo>(p.filters(), new Set(['instance-type', 'processor-info.supported-architecture', 'vcpu-info.default-vcpus', 'memory-info.size-in-mib', 'free-tier-eligible', 'current-generation', 'burstable-performance-supported']), (t, f) => {
    switch (f) {
      case 'instance-type': return [t.name];
      case 'processor-info.supported-architecture': return [t.arch];
      case 'vcpu-info.default-vcpus': return [String(t.vcpus)];
      case 'memory-info.size-in-mib': return [String(t.memoryMiB)];
      case 'free-tier-eligible': return [String(!!t.freeTier)];
      case 'burstable-performance-supported': return [String(t.burstable)];
      default: return ['true'];
    }
  });
  return {
    instanceTypeSet: INSTANCE_TYPES.filter((t) => (names.length === 0 || names.includes(t.name)) && match(t)).map((t) => ({
      instanceType: t.name, currentGeneration: true, freeTierEligible: !!t.freeTier, supportedUsageClasses: ['on-demand', 'spot'],
      supportedRootDeviceTypes: ['ebs'], supportedVirtualizationTypes: ['hvm'], bareMetal: false, hypervisor: 'nitro',
      processorInfo: { supportedArchitectures: [t.arch], sustainedClockSpeedInGhz: t.clock },
      vCpuInfo: { defaultVCpus: t.vcpus, defaultCores: t.vcpus / 2 || 1, defaultThreadsPerCore: t.vcpus > 1 ? 2 : 1 },
      memoryInfo: { sizeInMiB: t.memoryMiB },
      instanceStorageSupported: false,
      ebsInfo: { ebsOptimizedSupport: 'default', encryptionSupport: 'supported', nvmeSupport: 'required' },
      networkInfo: { networkPerformance: t.network, maximumNetworkInterfaces: 3, ipv4AddressesPerInterface: 12, ipv6Supported: true, enaSupport: 'required' },
      burstablePerformanceSupported: t.burstable, dedicatedHostsSupported: false, autoRecoverySupported: true,
      supportedBootModes: ['legacy-bios', 'uefi'],
    })),
  };
}
