// Finding the default image: the newest Ubuntu 22.04 LTS (jammy) server image from Canonical for the
// instance type's architecture (DescribeImages, owner 099720109477). Why jammy and not the newest LTS:
// GraphTerm 0.57 runs only on Python 2.7, and 22.04 is the last Ubuntu LTS that ships it (`python2`,
// universe); 24.04 has none. The choice itself is pure.
import type { Image } from '@aws-sdk/client-ec2';
import type { Ec2 } from '../../lib/ec2.js';
import { NotFoundError } from '../../lib/errors.js';
import { architectureFor, CANONICAL_OWNER, UBUNTU_RELEASE } from './plan.js';

export { architectureFor };

export interface ImageChoice {
  id: string;
  name: string;
  rootDevice: string;
  architecture: string;
  /** "24.04" */
  version?: string;
  lts: boolean;
}

/** Pure: the support line for the plan and the output; says so plainly once standard support has ended. */
export function supportNote(version: string | undefined, nowMs: number): { text: string; ended: boolean } | undefined {
  if (version !== UBUNTU_RELEASE.version) return undefined;
  const [y, m] = UBUNTU_RELEASE.standardSupportUntil.split('-').map(Number);
  const ended = nowMs >= Date.UTC(y!, m!, 1); // the end of that month
  const r = UBUNTU_RELEASE;
  return ended
    ? { ended, text: `Ubuntu ${r.version} LTS (${r.codename}) left standard support in ${r.standardSupportUntil}: security updates now need Ubuntu Pro (ESM, until ${r.esmUntil})` }
    : { ended, text: `Ubuntu ${r.version} LTS (${r.codename}): standard support until ${r.standardSupportUntil}, then Ubuntu Pro ESM until ${r.esmUntil} (the last LTS with Python 2.7, which GraphTerm 0.57 needs)` };
}

/** Pure: "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20251001" -> "24.04". */
export function ubuntuVersion(name: string): string | undefined {
  return /ubuntu-[a-z]+-(\d{2}\.\d{2})-/.exec(name)?.[1];
}

/** Pure: is this Ubuntu release an LTS (even year, April)? */
export function isLts(version: string | undefined): boolean {
  if (!version) return false;
  const [yy, mm] = version.split('.').map(Number);
  return yy! % 2 === 0 && mm === 4;
}

/** Pure: the newest LTS (by version, then creation date); without any LTS, the newest image. */
export function pickUbuntuImage(images: Image[]): Image | undefined {
  const usable = images.filter((i) => i.ImageId && i.Name && !/-(pro|minimal|eks)-|\/(pro|minimal)/.test(i.Name) && (i.State ?? 'available') === 'available');
  const rank = (i: Image) => {
    const v = ubuntuVersion(i.Name!);
    return { lts: isLts(v), v: v ? Number(v.replace('.', '')) : 0, date: i.CreationDate ?? '' };
  };
  return [...usable].sort((a, b) => {
    const x = rank(a);
    const y = rank(b);
    if (x.lts !== y.lts) return x.lts ? -1 : 1;
    if (x.v !== y.v) return y.v - x.v;
    return y.date.localeCompare(x.date);
  })[0];
}

function choice(i: Image): ImageChoice {
  const version = ubuntuVersion(i.Name ?? '');
  return { id: i.ImageId!, name: i.Name ?? '', rootDevice: i.RootDeviceName ?? '/dev/sda1', architecture: i.Architecture ?? 'x86_64', version, lts: isLts(version) };
}

/** The image to launch: the one given (checked to exist) or the newest Ubuntu LTS. */
export async function findImage(ec2: Ec2, ami: string | undefined, instanceType: string): Promise<ImageChoice> {
  if (ami) {
    const image = (await ec2.images({ ids: [ami] }, `looking up the image ${ami}`))[0];
    if (!image) throw new NotFoundError(`no image ${ami} in ${ec2.region}`, [], { hint: `leave out --ami for the newest Ubuntu ${UBUNTU_RELEASE.version} LTS` });
    return choice(image);
  }
  const arch = architectureFor(instanceType);
  const images = await ec2.images({
    owners: [CANONICAL_OWNER],
    filters: [
      { Name: 'name', Values: [`ubuntu/images/hvm-ssd*/ubuntu-${UBUNTU_RELEASE.codename}-${UBUNTU_RELEASE.version}-${arch === 'arm64' ? 'arm64' : 'amd64'}-server-*`] },
      { Name: 'architecture', Values: [arch] },
      { Name: 'state', Values: ['available'] },
    ],
  }, `looking up the newest Ubuntu ${UBUNTU_RELEASE.version} LTS image`);
  const best = pickUbuntuImage(images);
  if (!best) throw new NotFoundError(`no Ubuntu ${UBUNTU_RELEASE.version} server image for ${arch} found in ${ec2.region}`, [], { hint: 'give one with --ami (it needs Python 2.7: Ubuntu 22.04 or older)' });
  return choice(best);
}
