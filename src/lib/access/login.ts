// Logging in with a one-time key pushed by EC2 Instance Connect (see instance-connect.ts), around the
// ordinary login attempt connectToInstance makes.
import { AwsRefusedError, ConnectionError } from '../errors.js';
import type { InstanceInfo } from '../instances.js';
import type { ConnectOptions, InstanceTarget, SshConnection } from '../ssh/connect.js';
import type { IdentityCandidate } from '../ssh/keys.js';
import { AGENT_IMAGES, ephemeralKey, pushPublicKey } from './instance-connect.js';

const isAuthFailure = (err: unknown) => err instanceof ConnectionError && /^permission denied/.test(err.message);

/**
 * Logs in with a one-time key pushed by EC2 Instance Connect right before connecting (the push is good
 * for 60 s), pushing again and retrying once when the login is refused (it may have run out). When the
 * push itself fails and other keys may work (automatic mode), they are tried and the push's refusal,
 * the one to act on, is what fails.
 */
export async function withInstanceConnect(
  instance: InstanceInfo,
  target: InstanceTarget,
  o: ConnectOptions,
  attempt: (identities: IdentityCandidate[]) => Promise<SshConnection>,
): Promise<SshConnection> {
  const key = await ephemeralKey();
  const identities = [key.identity, ...target.identities];
  const push = () => pushPublicKey(o.aws, instance, target.user, key.publicKey, o.signal);
  try {
    await push();
    o.out.detail(`pushed a one-time key for ${target.user} with EC2 Instance Connect`);
  } catch (err) {
    if (target.access.instanceConnectOnly || target.identities.length === 0) throw err;
    o.out.detail(`EC2 Instance Connect: ${(err as Error).message}; trying the other keys`);
    try {
      return await attempt(target.identities);
    } catch (loginErr) {
      // A refusal (no permission) is what to act on; anything else (no such API here) says less than the login.
      throw isAuthFailure(loginErr) && err instanceof AwsRefusedError ? err : loginErr;
    }
  }
  try {
    return await attempt(identities);
  } catch (err) {
    if (!isAuthFailure(err)) throw err;
    o.out.detail('login refused; pushing the key again (it is good for 60 s) and retrying once');
    await push();
    try {
      return await attempt(identities);
    } catch (again) {
      if (!isAuthFailure(again)) throw again;
      throw new ConnectionError((again as Error).message, {
        hint: `EC2 Instance Connect accepted the key but the instance refused it: its image must run the Instance Connect agent (${AGENT_IMAGES}), and ${target.user} must be its login user (-l USER)`,
      });
    }
  }
}
