// The login user for an instance: -l, else tag ec2term:user (checked: anyone can tag), else what the
// image's name says, else ubuntu.
import type { Ec2 } from '../ec2.js';
import { Ec2termError, ExitCode } from '../errors.js';
import { label as labelOf, type InstanceInfo } from '../instances.js';
import { hintName, loginUserProblem } from '../untrusted.js';

/** Pure: the login user an image implies, from its name or description. */
export function userForImage(name = '', description = ''): string | undefined {
  const text = `${name} ${description}`.toLowerCase();
  if (/ubuntu/.test(text)) return 'ubuntu';
  if (/amzn|amazon linux|al2023|al2\b/.test(text)) return 'ec2-user';
  if (/debian/.test(text)) return 'admin';
  if (/centos/.test(text)) return 'centos';
  if (/rhel|red hat|fedora|suse|sles/.test(text)) return 'ec2-user';
  return undefined;
}

/** Image id -> login user (undefined when the image says nothing we know), in one DescribeImages call. */
export async function usersForImages(ec2: Ec2, imageIds: string[]): Promise<Map<string, string>> {
  const ids = [...new Set(imageIds.filter(Boolean))];
  const out = new Map<string, string>();
  if (ids.length === 0) return out;
  try {
    for (const img of await ec2.images({ ids })) {
      const u = userForImage(img.Name, img.Description);
      if (img.ImageId && u) out.set(img.ImageId, u);
    }
  } catch {
    // A deregistered or private image: fall back to the default user.
  }
  return out;
}

/** The login user for an instance: explicit, tag ec2term:user, image, else "ubuntu". */
export async function loginUser(instance: InstanceInfo, ec2: Ec2, explicit?: string): Promise<string> {
  if (explicit) return explicit;
  if (instance.user) return checkedTagUser(instance);
  if (instance.imageId) {
    const u = (await usersForImages(ec2, [instance.imageId])).get(instance.imageId);
    if (u) return u;
  }
  return 'ubuntu';
}

/**
 * Pure: the ec2term:user tag, if OpenSSH could take it as a login user. Anyone who can tag the instance
 * sets it, so one that ssh would read as an option or a shell would expand is refused (exit 2), not
 * replaced by a guess: -l USER (or USER@NAME) overrides it.
 */
export function checkedTagUser(instance: InstanceInfo): string {
  const user = instance.user!;
  const problem = loginUserProblem(user);
  if (!problem) return user;
  throw new Ec2termError(`${labelOf(instance)}: its ec2term:user tag ${JSON.stringify(user)} is not a usable login user: ${problem}`, ExitCode.usage, {
    hint: `name the user yourself: ec2ssh -l ubuntu ${hintName(instance)} (or fix the tag)`,
  });
}
