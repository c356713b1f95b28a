// EC2 Query API dispatch: Action -> handler -> `<ActionResponse>` XML.
import { ApiError, dryRunOk } from '../errors.js';
import { esc, toXml, xmlDoc, type XmlObject } from '../xml.js';
import type { Sandbox } from '../world.js';
import { describeAvailabilityZones, describeImages, describeInstanceTypes, describeRegions } from './catalog.js';
import { describeInstances, describeInstanceStatus, getConsoleOutput, runInstances, startInstances, stopInstances, terminateInstances } from './instances.js';
import { createLaunchTemplate, createLaunchTemplateVersion, deleteLaunchTemplate, describeLaunchTemplates, describeLaunchTemplateVersions, modifyLaunchTemplate } from './launch-templates.js';
import { createKeyPair, deleteKeyPair, describeKeyPairs, importKeyPair } from './keypairs.js';
import { Params } from './params.js';
import { authorizeSecurityGroupIngress, createSecurityGroup, deleteSecurityGroup, describeSecurityGroups, revokeSecurityGroupIngress } from './securitygroups.js';
import { createTags, deleteTags } from './tags.js';
import { associateVpcCidrBlock, createSubnet, createVpc, deleteSubnet, deleteVpc, describeSubnets, describeVpcs, modifySubnetAttribute } from './vpcs.js';
import { allocateAddress, associateAddress, describeAddresses, disassociateAddress, releaseAddress } from './addresses.js';
import { createInstanceConnectEndpoint, deleteInstanceConnectEndpoint, describeInstanceConnectEndpoints } from './eice.js';
import { attachVolume, createSnapshot, createVolume, deleteSnapshot, deleteVolume, describeSnapshots, describeVolumes, detachVolume } from './volumes.js';

export const EC2_NS = 'http://ec2.amazonaws.com/doc/2016-11-15/';
export const EC2_VERSION = '2016-11-15';

type Handler = (s: Sandbox, region: string, p: Params) => object | Promise<object>;

const ACTIONS: Record<string, Handler> = {
  DescribeRegions: describeRegions,
  DescribeAvailabilityZones: describeAvailabilityZones,
  DescribeImages: describeImages,
  DescribeInstanceTypes: describeInstanceTypes,
  RunInstances: runInstances,
  DescribeInstances: describeInstances,
  DescribeInstanceStatus: describeInstanceStatus,
  StopInstances: stopInstances,
  StartInstances: startInstances,
  TerminateInstances: terminateInstances,
  CreateTags: createTags,
  DeleteTags: deleteTags,
  GetConsoleOutput: getConsoleOutput,
  CreateKeyPair: createKeyPair,
  ImportKeyPair: importKeyPair,
  DescribeKeyPairs: describeKeyPairs,
  DeleteKeyPair: deleteKeyPair,
  CreateSecurityGroup: createSecurityGroup,
  AuthorizeSecurityGroupIngress: authorizeSecurityGroupIngress,
  RevokeSecurityGroupIngress: revokeSecurityGroupIngress,
  DescribeSecurityGroups: describeSecurityGroups,
  DeleteSecurityGroup: deleteSecurityGroup,
  CreateVolume: createVolume,
  AttachVolume: attachVolume,
  DetachVolume: detachVolume,
  DescribeVolumes: describeVolumes,
  DeleteVolume: deleteVolume,
  CreateSnapshot: createSnapshot,
  DescribeSnapshots: describeSnapshots,
  DeleteSnapshot: deleteSnapshot,
  CreateLaunchTemplate: createLaunchTemplate,
  CreateLaunchTemplateVersion: createLaunchTemplateVersion,
  DescribeLaunchTemplates: describeLaunchTemplates,
  DescribeLaunchTemplateVersions: describeLaunchTemplateVersions,
  ModifyLaunchTemplate: modifyLaunchTemplate,
  DeleteLaunchTemplate: deleteLaunchTemplate,
  CreateVpc: createVpc,
  DescribeVpcs: describeVpcs,
  DeleteVpc: deleteVpc,
  AssociateVpcCidrBlock: associateVpcCidrBlock,
  CreateSubnet: createSubnet,
  DescribeSubnets: describeSubnets,
  DeleteSubnet: deleteSubnet,
  ModifySubnetAttribute: modifySubnetAttribute,
  AllocateAddress: allocateAddress,
  AssociateAddress: associateAddress,
  DisassociateAddress: disassociateAddress,
  ReleaseAddress: releaseAddress,
  DescribeAddresses: describeAddresses,
  CreateInstanceConnectEndpoint: createInstanceConnectEndpoint,
  DescribeInstanceConnectEndpoints: describeInstanceConnectEndpoints,
  DeleteInstanceConnectEndpoint: deleteInstanceConnectEndpoint,
};

export const MUTATING = /^(Run|Stop|Start|Terminate|Create|Delete|Import|Authorize|Revoke|Attach|Detach|Modify|Associate|Disassociate|Allocate|Release)/;

/** Runs one EC2 action; returns the XML document (throws ApiError for AWS-shaped failures). */
export async function handleEc2(s: Sandbox, region: string, p: Params, action: string, requestId: string): Promise<string> {
  const h = ACTIONS[action];
  if (!h) throw new ApiError('InvalidAction', `The action ${action} is not valid for this web service.`);
  const version = p.str('Version');
  if (version && version !== EC2_VERSION) throw new ApiError('InvalidParameterValue', `Unsupported API version ${version}; the sandbox speaks ${EC2_VERSION}.`);
  const body = (await h(s, region, p)) as XmlObject;
  // Read-only actions validate fully, then answer DryRun; mutating ones check it before changing anything.
  if (p.bool('DryRun')) throw dryRunOk();
  return xmlDoc(`${action}Response`, EC2_NS, `<requestId>${requestId}</requestId>${toXml(body, true)}`);
}

export function ec2ErrorXml(e: ApiError, requestId: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${esc(e.code)}</Code><Message>${esc(e.message)}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`;
}
