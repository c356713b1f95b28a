// EC2 launch templates: Create/Describe/Modify/Delete LaunchTemplate and versions. A version's data is
// kept as the flat query keys under `LaunchTemplateData.`, which are RunInstances' own keys, so a launch
// from a template (templateLaunchParams) goes through runInstances unchanged.
import { ApiError, dryRunOk } from '../errors.js';
import { newId, SANDBOX_ACCOUNT_ID } from '../ids.js';
import type { Region, Tags } from '../state.js';
import type { Sandbox } from '../world.js';
import { findType } from './catalog.js';
import { compileFilters, tagValues } from './filters.js';
import { paginate, Params, tagSet } from './params.js';
import { MAX_USER_DATA_BYTES } from '../limits.js';

export interface LaunchTemplateVersion { number: number; description?: string; createTime: number; data: Record<string, string> }
export interface LaunchTemplate {
  id: string; name: string; createTime: number; defaultVersion: number; latestVersion: number;
  versions: LaunchTemplateVersion[]; tags: Tags;
}

/** AWS's own bound on versions per template. */
const MAX_VERSIONS = 10_000;
const NAME_RE = /^[a-zA-Z0-9().\-/_]{3,128}$/;
const CREATED_BY = `arn:aws:iam::${SANDBOX_ACCOUNT_ID}:root`;

export const templatesOf = (r: Region): Record<string, LaunchTemplate> => (r.launchTemplates ??= {});

/** The template named by id or name, as every action names it. */
export function findTemplate(r: Region, id: string | undefined, name: string | undefined): LaunchTemplate {
  if (id !== undefined && name !== undefined) throw new ApiError('InvalidParameterCombination', 'Specify either a launch template ID or a launch template name, not both.');
  const all = templatesOf(r);
  if (id !== undefined) {
    if (!/^lt-[0-9a-f]{8,17}$/.test(id)) throw new ApiError('InvalidLaunchTemplateId.Malformed', `The specified ID for the launch template (${id}) is not valid.`);
    const t = all[id];
    if (!t) throw new ApiError('InvalidLaunchTemplateId.NotFound', `The specified launch template, with template ID ${id}, does not exist.`);
    return t;
  }
  if (name !== undefined) {
    const t = Object.values(all).find((x) => x.name === name);
    if (!t) throw new ApiError('InvalidLaunchTemplateName.NotFoundException', `The specified launch template, with template name ${name}, does not exist.`);
    return t;
  }
  throw new ApiError('MissingParameter', 'The request must contain the parameter launchTemplateName or launchTemplateId');
}

/** `$Latest`, `$Default` or a number, as EC2 and Auto Scaling both accept. */
export function findVersion(t: LaunchTemplate, v: string | undefined): LaunchTemplateVersion {
  const n = v === undefined || v === '$Default' ? t.defaultVersion : v === '$Latest' ? t.latestVersion : /^\d+$/.test(v) ? Number(v) : NaN;
  if (Number.isNaN(n)) throw new ApiError('InvalidLaunchTemplateId.VersionNotFound', `Could not find launch template version ${v} for the launch template ${t.id}.`);
  const found = t.versions.find((x) => x.number === n);
  if (!found) throw new ApiError('InvalidLaunchTemplateId.VersionNotFound', `Could not find launch template version ${n} for the launch template ${t.id}.`);
  return found;
}

function readData(p: Params, base: Record<string, string> = {}): Record<string, string> {
  const data = { ...base };
  const given = p.sub('LaunchTemplateData');
  // A list given anew replaces the source version's list as a whole.
  for (const list of new Set([...given.map.keys()].map((k) => k.split('.')[0]!))) {
    for (const k of Object.keys(data)) if (k === list || k.startsWith(list + '.')) delete data[k];
  }
  Object.assign(data, Object.fromEntries(given.map));
  const d = new Params(new Map(Object.entries(data)));
  const image = d.str('ImageId');
  if (image !== undefined && !/^ami-[0-9a-f]{8,17}$/.test(image)) throw new ApiError('InvalidAMIID.Malformed', `Invalid id: "${image}" (expecting "ami-...")`);
  const type = d.str('InstanceType');
  if (type !== undefined && !findType(type)) throw new ApiError('InvalidParameterValue', `Invalid value '${type}' for InstanceType.`);
  const userData = d.str('UserData');
  if (userData !== undefined) {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(userData.replace(/\s/g, ''))) throw new ApiError('InvalidUserData.Malformed', 'Invalid BASE64 encoding of user data.');
    if (Buffer.from(userData, 'base64').length > MAX_USER_DATA_BYTES) throw new ApiError('InvalidParameterValue', `User data is limited to ${MAX_USER_DATA_BYTES} bytes`);
  }
  const market = d.sub('InstanceMarketOptions').str('MarketType');
  if (market !== undefined && market !== 'spot' && market !== 'capacity-block') throw new ApiError('InvalidParameterValue', `Value (${market}) for parameter MarketType is invalid.`);
  d.tagSpecs();
  return data;
}

/** The RunInstances keys for one launch: the version's data plus what the caller decides (count, zone, tags...). */
export function templateLaunchParams(v: LaunchTemplateVersion, extra: Record<string, string>): Params {
  return new Params(new Map(Object.entries({ ...v.data, ...extra })));
}

function dataXml(data: Record<string, string>) {
  const d = new Params(new Map(Object.entries(data)));
  const market = d.sub('InstanceMarketOptions');
  const spot = market.sub('SpotOptions');
  return {
    imageId: d.str('ImageId'), instanceType: d.str('InstanceType'), keyName: d.str('KeyName'), userData: d.str('UserData'),
    instanceInitiatedShutdownBehavior: d.str('InstanceInitiatedShutdownBehavior'),
    placement: d.sub('Placement').str('AvailabilityZone') ? { availabilityZone: d.sub('Placement').str('AvailabilityZone') } : undefined,
    securityGroupIdSet: d.list('SecurityGroupId').length ? d.list('SecurityGroupId') : undefined,
    securityGroupSet: d.list('SecurityGroup').length ? d.list('SecurityGroup') : undefined,
    tagSpecificationSet: d.tagSpecs().length ? d.tagSpecs().map((t) => ({ resourceType: t.resourceType, tagSet: tagSet(t.tags) })) : undefined,
    instanceMarketOptions: market.str('MarketType') ? {
      marketType: market.str('MarketType'),
      spotOptions: spot.map.size ? { maxPrice: spot.str('MaxPrice'), spotInstanceType: spot.str('SpotInstanceType'), instanceInterruptionBehavior: spot.str('InstanceInterruptionBehavior') } : undefined,
    } : undefined,
  };
}

const templateXml = (t: LaunchTemplate) => ({
  createTime: new Date(t.createTime), createdBy: CREATED_BY, defaultVersionNumber: t.defaultVersion, latestVersionNumber: t.latestVersion,
  launchTemplateId: t.id, launchTemplateName: t.name, tagSet: tagSet(t.tags),
});

const versionXml = (t: LaunchTemplate, v: LaunchTemplateVersion) => ({
  createTime: new Date(v.createTime), createdBy: CREATED_BY, defaultVersion: v.number === t.defaultVersion,
  launchTemplateData: dataXml(v.data), launchTemplateId: t.id, launchTemplateName: t.name,
  versionDescription: v.description, versionNumber: v.number,
});

export function createLaunchTemplate(s: Sandbox, region: string, p: Params) {
  const r = s.region(region);
  const name = p.req('LaunchTemplateName');
  if (!NAME_RE.test(name)) throw new ApiError('InvalidLaunchTemplateName.MalformedException', 'A launch template name must be between 3 and 128 characters, and may contain letters, numbers, and the following characters: - ( ) . / _.');
  if (p.sub('LaunchTemplateData').map.size === 0) throw new ApiError('MissingParameter', 'The request must contain the parameter LaunchTemplateData');
  if (Object.values(templatesOf(r)).some((t) => t.name === name)) throw new ApiError('InvalidLaunchTemplateName.AlreadyExistsException', `Launch template name already in use.`);
  const data = readData(p);
  const tags = Object.assign({}, ...p.tagSpecs().filter((t) => t.resourceType === 'launch-template').map((t) => t.tags)) as Tags;
  if (p.bool('DryRun')) throw dryRunOk();
  const now = s.now();
  const t: LaunchTemplate = { id: newId('lt'), name, createTime: now, defaultVersion: 1, latestVersion: 1, versions: [{ number: 1, description: p.str('VersionDescription'), createTime: now, data }], tags };
  templatesOf(r)[t.id] = t;
  s.changed();
  return { launchTemplate: templateXml(t) };
}

export function createLaunchTemplateVersion(s: Sandbox, region: string, p: Params) {
  const t = findTemplate(s.region(region), p.str('LaunchTemplateId'), p.str('LaunchTemplateName'));
  if (p.sub('LaunchTemplateData').map.size === 0) throw new ApiError('MissingParameter', 'The request must contain the parameter LaunchTemplateData');
  const source = p.str('SourceVersion') !== undefined ? findVersion(t, p.str('SourceVersion')) : undefined;
  const data = readData(p, source?.data);
  if (t.versions.length >= MAX_VERSIONS) throw new ApiError('VersionLimitExceeded', `Launch templates can have at most ${MAX_VERSIONS} versions.`);
  if (p.bool('DryRun')) throw dryRunOk();
  const v: LaunchTemplateVersion = { number: t.latestVersion + 1, description: p.str('VersionDescription'), createTime: s.now(), data };
  t.versions.push(v);
  t.latestVersion = v.number;
  s.changed();
  return { launchTemplateVersion: versionXml(t, v) };
}

export function describeLaunchTemplates(s: Sandbox, region: string, p: Params) {
  const all = Object.values(templatesOf(s.region(region)));
  const ids = p.list('LaunchTemplateId'), names = p.list('LaunchTemplateName');
  const picked = [...ids.map((id) => findTemplate(s.region(region), id, undefined)), ...names.map((n) => findTemplate(s.region(region), undefined, n))];
  const match = compileFilters<LaunchTemplate>(p.filters(), new Set(['create-time', 'launch-template-name']), (t, f) =>
    f === 'launch-template-name' ? [t.name] : f === 'create-time' ? [new Date(t.createTime).toISOString()] : tagValues(f, t.tags) ?? []);
  const list = (ids.length || names.length ? [...new Set(picked)] : all).filter(match);
  const { page, nextToken } = paginate(list, p, { min: 1, max: 200 });
  return { launchTemplates: page.map(templateXml), nextToken };
}

export function describeLaunchTemplateVersions(s: Sandbox, region: string, p: Params) {
  const t = findTemplate(s.region(region), p.str('LaunchTemplateId'), p.str('LaunchTemplateName'));
  const asked = p.list('LaunchTemplateVersion');
  const min = p.int('MinVersion') ?? 1, max = p.int('MaxVersion') ?? Infinity;
  const list = asked.length
    ? [...new Set(asked.map((v) => findVersion(t, v)))]
    : t.versions.filter((v) => v.number >= min && v.number <= max);
  const { page, nextToken } = paginate(list, p, { min: 1, max: 200 });
  return { launchTemplateVersionSet: page.map((v) => versionXml(t, v)), nextToken };
}

export function modifyLaunchTemplate(s: Sandbox, region: string, p: Params) {
  const t = findTemplate(s.region(region), p.str('LaunchTemplateId'), p.str('LaunchTemplateName'));
  const want = p.str('SetDefaultVersion');
  const v = want !== undefined ? findVersion(t, want) : undefined;
  if (p.bool('DryRun')) throw dryRunOk();
  if (v) { t.defaultVersion = v.number; s.changed(); }
  return { launchTemplate: templateXml(t) };
}

export function deleteLaunchTemplate(s: Sandbox, region: string, p: Params) {
  const r = s.region(region);
  const t = findTemplate(r, p.str('LaunchTemplateId'), p.str('LaunchTemplateName'));
  if (p.bool('DryRun')) throw dryRunOk();
  delete templatesOf(r)[t.id];
  s.changed();
  return { launchTemplate: templateXml(t) };
}
