// Instances: RunInstances, DescribeInstances, DescribeInstanceStatus, Stop/Start/Terminate, GetConsoleOutput.
// This file holds the state changes and the console; run-instances.ts, describe-instances.ts and
// instance-xml.ts the rest (re-exported here, the path the rest of the sandbox imports).
import { ApiError, dryRunOk } from '../errors.js';
import { STATE_CODES, type Instance } from '../state.js';
import type { Sandbox } from '../world.js';
import type { Params } from './params.js';
import { dropAddressOf } from './addresses.js';
import { findInstances } from './describe-instances.js';

export { describeInstances, describeInstanceStatus, findInstances } from './describe-instances.js';
export { bulkInstances, runInstances } from './run-instances.js';
export { instanceItemXml, instancesSetXml } from './instance-xml.js';
export { publicDns, privateDns } from './instance-network.js';
export { subnetOf } from './vpcs.js';

function changeXml(i: Instance, prev: Instance['state']) {
  return { instanceId: i.id, currentState: { code: STATE_CODES[i.state], name: i.state }, previousState: { code: STATE_CODES[prev], name: prev } };
}

function stamp(s: Sandbox): string {
  return new Date(s.now()).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' GMT');
}

export async function stopInstances(s: Sandbox, region: string, p: Params) {
  const r = s.region(region);
  const insts = findInstances(r, p.list('InstanceId'));
  if (insts.length === 0) throw new ApiError('MissingParameter', 'The request must contain the parameter InstanceId');
  for (const i of insts) {
    if (i.state === 'shutting-down' || i.state === 'terminated') throw new ApiError('IncorrectInstanceState', `This instance '${i.id}' is not in a state from which it can be stopped.`);
  }
  if (p.bool('DryRun')) throw dryRunOk();
  const force = p.bool('Force');
  const out = [];
  for (const i of insts) {
    const prev = i.state;
    if (prev === 'pending' || prev === 'running') {
      // Force skips the graceful OS shutdown: the stop completes in half the time.
      s.setState(i, 'stopping', s.now() - (force ? s.delays.stopping / 2 : 0), `User initiated (${stamp(s)})`);
      await s.stopEndpoint(i.id);
    }
    out.push(changeXml(i, prev));
  }
  return { instancesSet: out };
}

export async function startInstances(s: Sandbox, region: string, p: Params) {
  const r = s.region(region);
  const insts = findInstances(r, p.list('InstanceId'));
  if (insts.length === 0) throw new ApiError('MissingParameter', 'The request must contain the parameter InstanceId');
  for (const i of insts) {
    if (i.state === 'stopping' || i.state === 'shutting-down' || i.state === 'terminated') {
      throw new ApiError('IncorrectInstanceState', `The instance '${i.id}' is not in a state from which it can be started.`);
    }
  }
  if (p.bool('DryRun')) throw dryRunOk();
  const out = [];
  for (const i of insts) {
    const prev = i.state;
    if (prev === 'stopped') {
      // As on EC2 (without an Elastic IP): a new public address and DNS name on every start; the private
      // address stays. The SSH endpoint follows the new address (the 127.0.0.1 fallback stays put).
      // An Elastic IP stays; an instance without a public address keeps its hidden loopback one.
      if (!i.eipAllocationId && !i.noPublicIp) {
        const old = i.publicIp;
        i.publicIp = s.allocAddresses().publicIp;
        if (i.sshHost === old) i.sshHost = undefined;
      }
      s.setState(i, 'pending', s.now(), '');
    }
    out.push(changeXml(i, prev));
  }
  return { instancesSet: out };
}

export async function terminateInstances(s: Sandbox, region: string, p: Params) {
  const r = s.region(region);
  const insts = findInstances(r, p.list('InstanceId'));
  if (insts.length === 0) throw new ApiError('MissingParameter', 'The request must contain the parameter InstanceId');
  if (p.bool('DryRun')) throw dryRunOk();
  const out = [];
  for (const i of insts) {
    const prev = i.state;
    if (prev !== 'terminated' && prev !== 'shutting-down') {
      dropAddressOf(r, i);
      s.setState(i, 'shutting-down', s.now(), `User initiated (${stamp(s)})`);
      await s.stopEndpoint(i.id);
    }
    out.push(changeXml(i, prev));
  }
  return { instancesSet: out };
}

export function getConsoleOutput(s: Sandbox, region: string, p: Params) {
  const r = s.region(region);
  const [i] = findInstances(r, [p.req('InstanceId')]);
  if (p.bool('DryRun')) throw dryRunOk();
  const text = s.console(i!);
  return { instanceId: i!.id, timestamp: new Date(s.now()), output: Buffer.from(text).toString('base64') };
}
