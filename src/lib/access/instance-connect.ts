// EC2 Instance Connect: a one-time ed25519 key made in memory (never written to disk, never on a command
// line), its public half pushed with SendSSHPublicKey for the login user (the instance's agent accepts it
// for 60 seconds), then an ordinary SSH login with it. Host keys are verified as for any other login.
import type { AwsContext } from '../aws.js';
import { AwsRefusedError, awsErrorCode, ConnectionError, fromAwsError } from '../errors.js';
import { label, type InstanceInfo } from '../instances.js';
import type { IdentityCandidate } from '../ssh/keys.js';
import { hintName } from '../untrusted.js';

/** Images with the EC2 Instance Connect agent, as AWS documents them. */
export const AGENT_IMAGES = 'Amazon Linux 2, Amazon Linux 2023 and Ubuntu 16.04 or later';
/** How long AWS keeps a pushed key (the agent refuses it after that). */
export const PUSHED_KEY_LIFETIME_MS = 60_000;
/** The IAM action SendSSHPublicKey needs (named in the refusal). */
export const SEND_KEY_ACTION = 'ec2-instance-connect:SendSSHPublicKey';

export interface EphemeralKey {
  /** To offer when logging in (the private half stays in this object). */
  identity: IdentityCandidate;
  /** "ssh-ed25519 AAAA... ec2term-instance-connect" */
  publicKey: string;
}

/** Makes a new ed25519 key pair in memory. */
export async function ephemeralKey(): Promise<EphemeralKey> {
  const { generateEd25519KeyPair } = await import('../ssh/ed25519.js');
  const pair = generateEd25519KeyPair('ec2term-instance-connect');
  return {
    identity: { kind: 'key', key: pair.privateKey, label: 'a one-time EC2 Instance Connect key' },
    publicKey: pair.publicKey,
  };
}

/**
 * Pure: what an image's name and description say about the EC2 Instance Connect agent: 'yes' for Amazon
 * Linux 2 and 2023 (preinstalled) and Ubuntu 16.04 or later (preinstalled from 20.04; AWS documents 16.04+),
 * 'no' for images known to lack it, 'unknown' otherwise.
 */
export function instanceConnectAgent(name = '', description = ''): 'yes' | 'no' | 'unknown' {
  const text = `${name} ${description}`.toLowerCase();
  if (/\bal2023\b|amazon linux 2023|amzn2|amazon linux 2\b|\bal2\b/.test(text)) return 'yes';
  const ubuntu = /ubuntu[^0-9]*?(\d{2})\.(\d{2})/.exec(text);
  if (ubuntu) return Number(ubuntu[1]) >= 16 ? 'yes' : 'no';
  if (/ubuntu/.test(text)) {
    // Canonical's names carry the codename: xenial (16.04) and later have the agent.
    if (/\b(precise|trusty)\b/.test(text)) return 'no';
    if (/\b(xenial|bionic|focal|jammy|noble|oracular|plucky)\b/.test(text)) return 'yes';
  }
  if (/amzn-ami|amazon linux ami|windows|debian|centos|rhel|red hat|suse|sles|fedora|freebsd/.test(text)) return 'no';
  return 'unknown';
}


/**
 * Pushes `publicKey` for `user` on the instance. AccessDenied becomes one line naming the IAM action;
 * the other refusals say what is wrong with the instance. Errors: AwsRefusedError (4), ConnectionError (255).
 */
export async function pushPublicKey(aws: AwsContext, instance: InstanceInfo, user: string, publicKey: string, signal?: AbortSignal): Promise<void> {
  const { SendSSHPublicKeyCommand } = await import('@aws-sdk/client-ec2-instance-connect');
  const client = await aws.instanceConnect(instance.region);
  try {
    const res = await client.send(
      new SendSSHPublicKeyCommand({ InstanceId: instance.id, InstanceOSUser: user, SSHPublicKey: publicKey, AvailabilityZone: instance.zone }),
      { abortSignal: signal },
    );
    if (res.Success === false) throw new ConnectionError(`EC2 Instance Connect did not accept the key for ${user} on ${label(instance)}`);
  } catch (err) {
    throw pushError(err, instance, user);
  }
}

/** Pure: the error a failed SendSSHPublicKey becomes. */
export function pushError(err: unknown, instance: InstanceInfo, user: string): Error {
  if (err instanceof ConnectionError) return err;
  const code = awsErrorCode(err);
  const name = hintName(instance);
  if (code === 'AccessDeniedException' || code === 'AccessDenied' || code === 'UnauthorizedOperation') {
    return new AwsRefusedError(`no permission to push a key with EC2 Instance Connect for ${user} on ${label(instance)} (${code})`, code, {
      hint: `allow the IAM action ${SEND_KEY_ACTION} on arn:aws:ec2:${instance.region}:ACCOUNT:instance/${instance.id}, or log in with a key of your own: -i FILE`,
      cause: err,
    });
  }
  if (code === 'EC2InstanceNotFoundException') {
    return new ConnectionError(`EC2 Instance Connect does not know ${label(instance)} (${code})`, { cause: err });
  }
  if (code === 'EC2InstanceStateInvalidException') {
    return new ConnectionError(`EC2 Instance Connect cannot push a key to ${label(instance)} now (${code})`, { hint: `it must be running: ec2list ${name}`, cause: err });
  }
  if (code === 'EC2InstanceUnavailableException') {
    return new ConnectionError(`EC2 Instance Connect cannot push a key to ${label(instance)} (${code})`, {
      hint: `its image must run the EC2 Instance Connect agent (${AGENT_IMAGES}); otherwise log in with its key pair: -i FILE`,
      cause: err,
    });
  }
  if (code === 'InvalidArgsException' || code === 'AuthException') {
    return new ConnectionError(`EC2 Instance Connect refused the key for ${user} on ${label(instance)} (${code})`, {
      hint: `check the login user (-l USER) and that the image runs the EC2 Instance Connect agent (${AGENT_IMAGES})`,
      cause: err,
    });
  }
  return fromAwsError(err, `pushing a key with EC2 Instance Connect to ${label(instance)}`);
}
