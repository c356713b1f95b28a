// ec2launch --dry-run: the reads of the preflight plus EC2's DryRun checks of every write, through the
// same steps as a launch (LaunchWrites records what they would do); nothing is created, no file written.
import type { Output } from '../../lib/output.js';
import { shellQuote } from '../../lib/shellquote.js';
import { formatDuration } from '../../lib/wait.js';
import type { CommandResult } from '../types.js';
import { supportNote } from './image.js';
import type { KeyPairOutcome } from './keypairs.js';
import type { LaunchPlan } from './plan.js';
import { checkElasticIp, placementLines } from './placement.js';
import type { LaunchDeps, Preflight } from './preflight.js';
import { runRequest } from './request.js';
import { groupSummary, type GroupOutcome } from './security-groups.js';
import { ensurePlanKeyPair, groupWarnings, planGroup } from './shared.js';
import { LaunchWrites, type IntendedWrite } from './writes.js';

export interface DryRunReport {
  /** Undefined with --no-key-pair. */
  keyPair?: KeyPairOutcome;
  group: GroupOutcome;
  /** "ok" when EC2's DryRun said RunInstances would succeed; else why it was not checked. */
  runInstancesCheck: string;
  /** Every write the launch would make, in order (checked with EC2's DryRun where it could be). */
  writes: IntendedWrite[];
}

/** Dry run: reads plus EC2's DryRun checks; nothing is created and no file is written. */
export async function dryRun(plan: LaunchPlan, pre: Preflight, deps: LaunchDeps): Promise<DryRunReport> {
  const writes = new LaunchWrites(deps.ec2, true);
  const keyPair = plan.placement.noKeyPair ? undefined : await ensurePlanKeyPair(plan, deps, writes);
  const group = await planGroup(plan, writes, pre.placement.vpcId);
  await checkElasticIp(writes, plan.placement);
  const req = runRequest(plan, pre, pre.hosts[0]!, { keyName: keyPair?.wouldCreate ? undefined : plan.keyName, groupId: group.id });
  let runInstancesCheck = 'ok (EC2 DryRun: the request would succeed)';
  await writes.write('runInstances', `launch ${pre.hosts.map((h) => h.host.name).join(', ')}`, [req, 'checking the launch']);
  if (keyPair?.wouldCreate || group.wouldCreate) runInstancesCheck += '; checked without the key pair/security group that do not exist yet';
  return { keyPair, group, runInstancesCheck, writes: writes.intended };
}

export function dryRunResult(plan: LaunchPlan, pre: Preflight, report: DryRunReport, region: string, nowMs: number): CommandResult {
  const support = supportNote(pre.image.version, nowMs);
  const hostsJson = pre.hosts.map((h) => ({
    name: h.host.name,
    dnsName: h.host.dnsName ?? null,
    clientToken: h.token,
    tags: h.tags,
    replace: h.replace.map((i) => i.id),
    adopt: h.adopt?.id ?? null,
    userDataBytes: Buffer.byteLength(h.userData),
  }));
  const json = {
    dryRun: true,
    region,
    image: { id: pre.image.id, name: pre.image.name, support: support?.text ?? null },
    type: plan.instanceType,
    role: plan.role,
    keyPair: report.keyPair
      ? { name: plan.keyName, exists: !report.keyPair.wouldCreate, action: report.keyPair.wouldCreate ? (plan.importKey ? 'import' : 'create') : 'use', keyFile: report.keyPair.keyFile ?? null }
      : { name: null, exists: false, action: 'none', keyFile: null },
    placement: {
      vpcId: pre.placement.vpcId ?? null,
      subnetId: pre.placement.subnetId ?? null,
      ipv6: pre.placement.ipv6,
      ipv6Only: pre.placement.ipv6Only,
      iamProfile: plan.placement.iamProfile?.Name ?? plan.placement.iamProfile?.Arn ?? null,
      elasticIp: plan.placement.eip ? (plan.placement.eip.allocationId ?? 'allocate') : null,
      instanceConnect: plan.placement.noKeyPair,
    },
    securityGroup: {
      name: plan.securityGroup.name,
      id: report.group.id ?? null,
      action: report.group.wouldCreate ? 'create' : report.group.added.length ? 'widen' : 'use',
      rules: plan.securityGroup.rules.map((r) => ({ port: r.port, from: r.fromGroup ? [r.fromGroup] : r.cidrs, purpose: r.purpose })),
      allows: report.group.allows,
      add: report.group.added.map((a) => `${a.port}/${a.cidr}`),
      missingNotAdded: report.group.missing.map((a) => `${a.port}/${a.cidr}`),
      extra: report.group.extra,
    },
    dns: plan.domain ? { zone: pre.zone?.name ?? pre.zoneToCreate, zoneId: pre.zone?.id ?? null, createZone: Boolean(pre.zoneToCreate), records: plan.hosts.map((h) => `UPSERT ${h.dnsName} A <public IP> TTL 60`) } : null,
    packages: { apt: plan.aptPackages, pipPinned: plan.pipPins.map((x) => `${x.name}==${x.version}`), pip: plan.pipPackages },
    authCode: plan.authCode.kind,
    ttl: plan.ttlMs ? formatDuration(plan.ttlMs) : null,
    wait: plan.wait,
    runInstancesCheck: report.runInstancesCheck,
    hosts: hostsJson,
    warnings: plan.warnings,
  };
  const render = (out: Output) => {
    out.line('Dry run: nothing was changed. The launch would:');
    out.line(`  image:           ${pre.image.id} (${pre.image.name})`);
    if (support) out.line(`                   ${support.text}`);
    out.line(`  type:            ${plan.instanceType}${plan.volumeSize ? `, root volume ${plan.volumeSize} GB` : ''}${plan.dataVolume ? `, data volume ${plan.dataVolume.sizeGb ?? 'snapshot size'} GB${plan.dataVolume.snapshotId ? ` from ${plan.dataVolume.snapshotId}` : ''} on /data` : ''}`);
    out.line(json.keyPair.name ? `  key pair:        ${plan.keyName} (${json.keyPair.action}${json.keyPair.keyFile ? `; private key ${json.keyPair.keyFile}` : ''})` : '  key pair:        none (--no-key-pair: EC2 Instance Connect)');
    placementLines(plan.placement, pre.placement).forEach((l, k) => out.line(`${k === 0 ? '  placement:       ' : '                   '}${l}`));
    out.line(`  security group:  ${groupSummary(report.group)}`);
    for (const w of groupWarnings(report.group)) out.line(`                   ${w}`);
    for (const h of pre.hosts) {
      out.line(`  instance:        ${h.host.name}  token ${h.token}${h.replace.length ? `  (replaces ${h.replace.map((i) => i.id).join(', ')})` : ''}${h.adopt ? `  (continues ${h.adopt.id})` : ''}`);
      out.line(`  tags:            ${Object.entries(h.tags).map(([k, v]) => `${k}=${shellQuote(v)}`).join(' ')}${plan.ttlMs ? ` ec2term:expires-at=<launch + ${formatDuration(plan.ttlMs)}>` : ''}`);
    }
    if (json.dns) {
      out.line(`  DNS:             ${json.dns.createZone ? `create zone ${json.dns.zone}; ` : `zone ${json.dns.zone} (${json.dns.zoneId}); `}${json.dns.records.join('; ')}; wait INSYNC`);
    }
    out.line(`  user-data:       ${plan.role === 'host' ? `gtermhost --server_addr=${pre.serverAddr}` : `gtermserver --auth_type=${plan.graphterm.authType}${plan.graphterm.https ? ' --https' : ''}`} (foreground systemd unit); python2 + pip 20.3.4, graphterm==0.57.0 tornado==4.5.3 (hash-pinned)${plan.pipPins.length ? ` + ${plan.packagesSummary.filter((x) => x === 'pylab' || x === 'netcdf').join(', ')}` : ''}; apt: ${plan.aptPackages.join(' ') || '(base only)'}${plan.pipPackages.length ? `; pip: ${plan.pipPackages.join(' ')}` : ''}${plan.ttlMs ? `; powers off after ${formatDuration(plan.ttlMs)}` : ''} (${hostsJson[0]!.userDataBytes} bytes; see --user-data)`);
    out.line(`  auth code:       ${plan.role === 'host' ? `none: the host's key is asked from ${plan.connectTo} and delivered over SSH` : plan.authCode.kind === 'random' ? 'random, delivered over SSH after boot' : plan.authCode.kind === 'given' ? 'as given, delivered over SSH after boot' : plan.graphtermPortOpen ? `none (--auth-type ${plan.graphterm.authType}, open server)` : `none (--auth-type ${plan.graphterm.authType}): ports closed, reach it through the ssh tunnel`}`);
    out.line(`  wait:            ${plan.wait}`);
    out.line(`  EC2 check:       ${report.runInstancesCheck}`);
  };
  return { json, render };
}
