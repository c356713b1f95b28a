// The EC2 Instance Connect API (AWS JSON 1.1, target prefix AWSEC2InstanceConnectService, SigV4 service
// ec2-instance-connect): SendSSHPublicKey pushes a key the instance's SSH accepts for 60 s.
import { ApiError } from '../errors.js';
import type { Sandbox } from '../world.js';
import { findInstances } from '../ec2/instances.js';
import { parseAuthorizedKeys } from '../ssh/index.js';
import { pushConnectKey } from './keys.js';

export const INSTANCE_CONNECT_TARGET = 'AWSEC2InstanceConnectService.';

export function instanceConnectErrorJson(e: ApiError, _requestId?: string): string {
  return JSON.stringify({ __type: e.code, Message: e.message });
}

const USER_RE = /(^[A-Za-z_][A-Za-z0-9@._-]{0,30}[A-Za-z0-9$_-]?$)|(^(?=.{2,32}$)[0-9]{1,32}[A-Za-z@._-][A-Za-z0-9@._-]*[A-Za-z0-9$_-]?$)/;
const KEY_TYPES = new Set(['ssh-rsa', 'ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521']);

function sendSshPublicKey(s: Sandbox, region: string, input: Record<string, unknown>, requestId: string): object {
  const str = (k: string) => (typeof input[k] === 'string' ? input[k] as string : undefined);
  const id = str('InstanceId'), user = str('InstanceOSUser'), key = str('SSHPublicKey'), az = str('AvailabilityZone');
  if (!id || !/^i-[a-f0-9]+$/.test(id) || id.length < 10 || id.length > 32) throw new ApiError('InvalidArgsException', 'Instance ID is invalid.');
  if (!user || !USER_RE.test(user)) throw new ApiError('InvalidArgsException', 'Instance OS user is invalid.');
  if (!key || key.length < 80 || key.length > 4096) throw new ApiError('InvalidArgsException', 'SSH public key is invalid: it must be 80 to 4096 characters in OpenSSH format.');
  const parsed = parseAuthorizedKeys([key]);
  if (parsed.length !== 1 || !KEY_TYPES.has(parsed[0]!.type)) throw new ApiError('InvalidArgsException', 'SSH public key is invalid: supported formats are OpenSSH RSA (2048 bits or more), ED25519 and ECDSA.');
  const r = s.region(region);
  let inst;
  try { [inst] = findInstances(r, [id]); } catch { throw new ApiError('EC2InstanceNotFoundException', `Instance ${id} was not found in region ${region}.`); }
  if (az !== undefined && az !== inst!.az) throw new ApiError('InvalidArgsException', `Instance ${id} is not in availability zone ${az}.`);
  if (inst!.state !== 'running') throw new ApiError('EC2InstanceStateInvalidException', `Instance ${id} is not in a valid state for this operation (${inst!.state}).`);
  pushConnectKey(s, inst!, user, key.trim());
  return { RequestId: requestId, Success: true };
}

/** Runs one target; returns the JSON reply body (throws ApiError for AWS-shaped failures). */
export function handleInstanceConnect(s: Sandbox, region: string, target: string, body: Buffer, requestId: string): string {
  const op = target.startsWith(INSTANCE_CONNECT_TARGET) ? target.slice(INSTANCE_CONNECT_TARGET.length) : '';
  let input: Record<string, unknown>;
  try { input = body.length ? JSON.parse(body.toString('utf8')) as Record<string, unknown> : {}; } catch {
    throw new ApiError('SerializationException', 'Start of structure or map found where not expected.');
  }
  if (!input || typeof input !== 'object' || Array.isArray(input)) throw new ApiError('SerializationException', 'The request body must be a JSON object.');
  switch (op) {
    case 'SendSSHPublicKey': return JSON.stringify(sendSshPublicKey(s, region, input, requestId));
    default: throw new ApiError('UnknownOperationException', `The sandbox does not serve ${target || '(no X-Amz-Target)'}.`);
  }
}
