// ec2launch's answer after a launch: per host its address, URL or tunnel, login and setup status, the
// phases' times and the auth code (shown once, on a terminal or with --show-secrets).
import type { Output } from '../../lib/output.js';
import { shellQuote } from '../../lib/shellquote.js';
import { serverAuthFile } from '../../lib/graphterm/delivery.js';
import { formatDuration } from '../../lib/wait.js';
import type { CommandResult } from '../types.js';
import type { HostResult, Launcher } from './launcher.js';
import type { LaunchPlan } from './plan.js';
import type { Preflight } from './preflight.js';

/** The server's URL: port 80 (443) is redirected to 8900 on the instance, as the original did. */
function urlFor(plan: LaunchPlan, host: string): string | undefined {
  if (plan.role !== 'server' || !plan.graphtermPortOpen) return undefined;
  return `${plan.graphterm.https ? 'https' : 'http'}://${host}/`;
}

export function successResult(
  plan: LaunchPlan,
  pre: Preflight,
  launcher: Launcher,
  results: HostResult[],
  authCode: string | undefined,
  o: { showCode: boolean; region: string; targetFlag?: string },
): CommandResult {
  const sb = o.targetFlag ? ` ${o.targetFlag}` : '';
  // Hosts that kept different codes (an earlier run reached some of them first): each has its own.
  const perHost = results.some((r) => r.authCode !== undefined && r.authCode !== authCode);
  const hosts = results.map((r) => {
    const i = r.instance;
    const reach = r.dnsName ?? i.publicDns ?? i.publicIp ?? i.privateIp ?? i.id;
    const login = r.dnsName ?? i.name ?? i.id;
    const url = urlFor(plan, reach);
    return {
      instanceId: i.id,
      name: i.name ?? plan.baseName,
      state: i.state,
      region: o.region,
      type: plan.instanceType,
      image: pre.image.id,
      imageName: pre.image.name,
      dnsName: r.dnsName ?? null,
      publicIp: i.publicIp ?? null,
      privateIp: i.privateIp ?? null,
      publicDns: i.publicDns ?? null,
      role: plan.role,
      url: url ?? null,
      tunnel: plan.role === 'server' && !url ? `ec2ssh${sb} -L 8900:localhost:8900 -L 8901:localhost:8901 ${plan.user}@${login}   then open ${plan.graphterm.https ? 'https' : 'http'}://localhost:8900/` : null,
      codeFile: plan.role === 'server' && r.authCodeDelivered ? serverAuthFile(r.dnsName ?? i.publicDns ?? i.publicIp ?? '') : null,
      ssh: `ec2ssh${sb} ${plan.user}@${login}`,
      setupStatus: r.setup ?? null,
      copied: r.copied,
      authCodeDelivered: r.authCodeDelivered,
      // Only when the hosts kept different codes (see render); hidden like the top-level one.
      ...(perHost && r.authCode !== undefined
        ? { authCode: plan.showSecrets ? r.authCode : '(hidden: use --show-secrets)' }
        : {}),
    };
  });
  const c = launcher.created;
  const json = {
    ok: true,
    instanceId: hosts[0]?.instanceId,
    instances: hosts,
    keyPair: { name: plan.keyName, created: Boolean(c.keyPair), keyFile: launcher.keyPair?.keyFile ?? null },
    securityGroup: { id: launcher.group?.id ?? null, name: plan.securityGroup.name, created: Boolean(c.group), opened: (launcher.group?.added ?? []).map((a) => `${a.port}/${a.cidr}`), allows: launcher.group?.allows ?? [] },
    zone: pre.zone ? { id: pre.zone.id, name: pre.zone.name, created: Boolean(c.zone), nameServers: c.zone?.nameServers ?? null } : null,
    wait: plan.wait,
    phases: launcher.progress.timer.toJSON(),
    authCode: plan.showSecrets ? (authCode ?? null) : authCode ? '(hidden: use --show-secrets)' : null,
    warnings: plan.warnings,
  };
  const render = (out: Output) => {
    const p = out.paint;
    for (const h of hosts) {
      out.line(`${p.bold(h.name)}  ${h.instanceId}  ${h.state}  ${h.type}  ${o.region}`);
      if (h.dnsName) out.line(`  DNS name:   ${h.dnsName}`);
      out.line(`  addresses:  ${[h.publicIp, h.publicDns, h.privateIp].filter(Boolean).join('  ')}`);
      if (h.url) out.line(`  URL:        ${p.cyan(h.url)}   (port 80${plan.graphterm.https ? '/443' : ''} is redirected to GraphTerm's 8900)`);
      if (h.tunnel) out.line(`  GraphTerm:  ${h.tunnel}`);
      out.line(`  log in:     ${h.ssh}`);
      if (h.setupStatus) out.line(`  setup:      ${h.setupStatus}`);
      if (h.copied.length) out.line(`  copied:     ${h.copied.join(', ')}`);
    }
    if (c.zone) out.line(`hosted zone ${c.zone.name} created; name servers: ${c.zone.nameServers.join(' ')}`);
    const phases = launcher.progress.timer.phases;
    if (phases.length) out.line(`phases: ${phases.map((x) => `${x.label} ${formatDuration(x.ms)}`).join(', ')}`);
    if (authCode && perHost) {
      if (o.showCode) results.forEach((r, i) => out.line(`auth code of ${hosts[i]!.name}:  ${p.bold(r.authCode ?? authCode)}`));
      out.line(`auth code:  ${o.showCode ? 'shown once, above;' : 'not shown without a terminal (add --show-secrets);'} the hosts have different codes, each in ~${plan.user}/${hosts[0]!.codeFile ?? '.graphterm/'}`);
    } else if (authCode) {
      if (o.showCode) out.line(`auth code:  ${p.bold(authCode)}   (shown once; it is also in ~${plan.user}/${hosts[0]!.codeFile} on the instance)`);
      else out.line(`auth code:  not shown without a terminal (add --show-secrets); read it with: ${hosts[0]!.ssh} cat ${shellQuote(hosts[0]!.codeFile ?? '')}`);
    }
  };
  return { json, render };
}
