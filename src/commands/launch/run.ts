// ec2launch: options -> (form) -> plan -> preflight -> dry run, or launch + waits + DNS, with undo on
// failure or Ctrl-C. Loaded only when ec2launch really runs.
import { setMaxListeners } from 'node:events';
import { expandHome } from '../../lib/config-files.js';
import { CancelledError, UsageError } from '../../lib/errors.js';
import type { Output } from '../../lib/output.js';
import { shellQuote } from '../../lib/shellquote.js';
import { groupSummary } from '../../lib/security-groups.js';
import { buildUserData } from '../../lib/graphterm/userdata.js';
import { serverAuthFile } from '../../lib/graphterm/delivery.js';
import { formatDuration } from '../../lib/wait.js';
import type { CommandOptions, CommandResult, RunCommand } from '../types.js';
import { fillForm } from './form.js';
import { dryRun, groupWarnings, Launcher, preflight, randomAuthCode, type DryRunReport, type HostResult, type LaunchDeps, type Preflight } from './launcher.js';
import { supportNote } from './image.js';
import { AUTH_CODE_ENV, checkAuthCode, commandLine, PORTS, planLaunch, userDataInput, type LaunchOptions, type LaunchPlan } from './plan.js';
import { Progress } from './progress.js';
import { placementLines } from './placement.js';

/** --copy files and the --import-key public key must exist and be readable regular files (UsageError otherwise). */
async function checkLocalFiles(plan: LaunchPlan, env: NodeJS.ProcessEnv): Promise<void> {
  const { stat, access } = await import('node:fs/promises');
  const { constants } = await import('node:fs');
  const files: [string, string][] = [...plan.copy.map((f): [string, string] => ['--copy', f])];
  if (plan.oauthFile) files.push(['--oauth-file', plan.oauthFile]);
  if (plan.importKey) files.push(['--import-key', expandHome(plan.importKey, env)]);
  for (const [flag, f] of files) {
    try {
      if (!(await stat(f)).isFile()) throw new UsageError(`${flag}: ${f} is not a regular file`);
      await access(f, constants.R_OK);
    } catch (err) {
      if (err instanceof UsageError) throw err;
      throw new UsageError(`${flag}: cannot read ${f} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  if (plan.oauthFile) {
    // GraphTerm reads {"google_oauth": {"key": CLIENT_ID, "secret": CLIENT_SECRET}} (as the original wrote it).
    const { readFile } = await import('node:fs/promises');
    let ok = false;
    try {
      const g = JSON.parse(await readFile(plan.oauthFile, 'utf8'))?.google_oauth;
      ok = typeof g?.key === 'string' && typeof g?.secret === 'string' && g.key !== '' && g.secret !== '';
    } catch {
      ok = false;
    }
    if (!ok) throw new UsageError(`--oauth-file: ${plan.oauthFile} is not a gterm_oauth.json ({"google_oauth": {"key": "CLIENT_ID", "secret": "CLIENT_SECRET"}})`);
  }
}

/** Commander's options + positional NAME -> LaunchOptions (no checking here; plan.ts checks). */
export function toLaunchOptions(args: string[], o: CommandOptions): LaunchOptions {
  if (args.length > 1) throw new UsageError(`one NAME expected, got ${args.length}: ${args.map((a) => JSON.stringify(a)).join(' ')} (use --count N for several hosts)`);
  const str = (v: unknown) => (v === undefined ? undefined : String(v));
  // `--eip lab`: the optional value took NAME; an allocation id always starts with eipalloc-.
  let eip: string | boolean | undefined = o.eip === true ? true : str(o.eip);
  if (typeof eip === 'string' && !eip.startsWith('eipalloc-') && args.length === 0) {
    args = [eip];
    eip = true;
  }
  return {
    name: args[0],
    type: str(o.type),
    ami: str(o.ami),
    key: str(o.key),
    importKey: str(o.importKey),
    authCode: str(o.authCode),
    authType: str(o.authType),
    https: o.https,
    pylab: o.pylab,
    R: o.R,
    netcdf: o.netcdf,
    install: str(o.install),
    copy: str(o.copy),
    connectTo: str(o.connectTo),
    acceptHosts: o.acceptHosts,
    count: str(o.count),
    volumeSize: str(o.volumeSize),
    dataVolume: str(o.dataVolume),
    fromSnapshot: str(o.fromSnapshot),
    allowFrom: str(o.allowFrom),
    ttl: str(o.ttl),
    wait: str(o.wait),
    timeout: str(o.timeout),
    clientToken: str(o.clientToken),
    createZone: o.createZone,
    replace: o.replace,
    keepOnFailure: o.keepOnFailure,
    showSecrets: o.showSecrets,
    userData: o.userData,
    dryRun: o.dryRun,
    form: o.form,
    yes: o.yes,
    gmailAddr: str(o.gmailAddr),
    allowEmbed: o.allowEmbed,
    allowShare: o.allowShare,
    notebookServer: o.notebookServer,
    logging: o.logging,
    oshell: o.oshell,
    screen: o.screen,
    otherOpts: str(o.otherOpts),
    openServer: o.openServer,
    oauthFile: str(o.oauthFile),
    hosts: str(o.hosts),
    spot: o.spot,
    subnet: str(o.subnet),
    vpc: str(o.vpc),
    iamProfile: str(o.iamProfile),
    eip,
    keyPair: o.keyPair === false ? false : undefined,
    tag: Array.isArray(o.tag) ? o.tag.map(String) : undefined,
  };
}

export const run: RunCommand = async (ctx, args, options) => {
  // A server with its fleet in one command: two ordinary launches (fleet/with-server.ts).
  if (options.hosts !== undefined && options.acceptHosts) return (await import('./fleet/with-server.js')).launchServerWithFleet(ctx, args, options, run);
  let opts = toLaunchOptions(args, options);
  // The auth code may come from the environment, so it is on no command line (and in no shell history).
  const fromEnv = ctx.io.env[AUTH_CODE_ENV];
  if (opts.authCode === undefined && fromEnv) {
    try {
      if (fromEnv !== 'none') checkAuthCode(fromEnv);
    } catch (err) {
      throw new UsageError(`bad ${AUTH_CODE_ENV}: ${(err as Error).message.replace(/^bad --auth-code: /, '')}`);
    }
    opts.authCode = fromEnv;
  }
  if (opts.form || (opts.name === undefined && ctx.prompt.interactive && !opts.userData)) {
    if (!ctx.prompt.interactive) throw new UsageError('--form needs a terminal; give the options as flags instead');
    opts = await fillForm(ctx.prompt, opts);
    planLaunch(opts); // a form whose answers do not make a launch says so before asking to launch
    ctx.out.info(`${ctx.program}: the same launch as a command:`);
    ctx.out.info(`  ${commandLine(opts, ctx.program)}`);
    if (opts.authCode !== undefined && opts.authCode !== 'none') {
      ctx.out.info(`  (the auth code is left out; to use the same one, set ${AUTH_CODE_ENV} in the environment, e.g. read -rs ${AUTH_CODE_ENV}; export ${AUTH_CODE_ENV})`);
    }
    if (!(await ctx.prompt.confirm(`Launch ${opts.name} now?`, { default: false }))) throw new CancelledError('answered no; nothing was launched');
  }
  const plan = planLaunch(opts);
  const fleet = opts.hosts !== undefined ? (await import('./fleet/plan.js')).planFleet(opts.hosts, opts.spot, plan, opts) : undefined;
  if (fleet === undefined && opts.spot) throw new UsageError('--spot is for fleets: give --hosts N as well');
  if (fleet && (plan.placement.subnetId || plan.placement.vpcId || plan.placement.iamProfile || plan.placement.eip || plan.placement.noKeyPair)) {
    throw new UsageError('--subnet, --vpc, --iam-profile, --eip and --no-key-pair are for single launches; a fleet (--hosts) does not take them yet');
  }

  if (plan.userDataOnly) {
    const script = buildUserData(userDataInput(plan, plan.hosts[0]!));
    return { json: { name: plan.hosts[0]!.name, userData: script }, render: (out) => out.io.stdout.write(script) };
  }
  // Local files must be readable before anything is created (a missing --copy file used to fail after launch).
  await checkLocalFiles(plan, ctx.io.env);
  const aws = await ctx.aws(); // a bad --region is reported before the plan's warnings
  for (const w of plan.warnings) ctx.out.warn(w);

  setMaxListeners(0, ctx.signal);
  const deps: LaunchDeps = {
    ctx,
    aws,
    ec2: await ctx.ec2(),
    dns: plan.domain ? await ctx.dns() : undefined,
    cleanup: { ec2: await ctx.ec2(undefined, { cancellable: false }), dns: plan.domain ? await ctx.dns({ cancellable: false }) : undefined },
  };
  const pre = await preflight(plan, deps);
  const support = supportNote(pre.image.version, ctx.clock.now());
  if (support?.ended) ctx.out.warn(support.text);

  if (plan.dryRun) {
    const report = await dryRun(plan, pre, deps);
    const result = dryRunResult(plan, pre, report, aws.region, ctx.clock.now());
    return fleet ? (await import('./fleet/run.js')).fleetDryRun(result, fleet) : result;
  }

  if (fleet) return (await import('./fleet/run.js')).runFleet(ctx, plan, fleet, pre, deps);

  const replacing = pre.hosts.flatMap((h) => h.replace);
  if (replacing.length > 0 && !plan.yes) {
    const what = replacing.map((i) => `${i.name} (${i.id}, ${i.state})`).join(', ');
    if (!ctx.prompt.interactive) throw new UsageError(`--replace would terminate ${what}; add --yes to confirm without a terminal`);
    if (!(await ctx.prompt.confirm(`Terminate ${what} and launch a new one?`, { default: false }))) throw new CancelledError('nothing changed');
  }

  const progress = new Progress(ctx.out, ctx.clock);
  const launcher = new Launcher(plan, pre, deps, progress);
  const authCode = plan.authCode.kind === 'given' ? plan.authCode.value : plan.authCode.kind === 'random' ? randomAuthCode() : undefined;
  const results: HostResult[] = [];
  try {
    await launcher.replaceOld();
    await launcher.prepare();
    const launched = [];
    for (const prep of pre.hosts) launched.push(await launcher.launch(prep));
    for (let i = 0; i < pre.hosts.length; i++) results.push(await launcher.finish(pre.hosts[i]!, launched[i]!, authCode));
  } catch (err) {
    const aborted = ctx.signal.aborted;
    await launcher.closePrimary();
    const nothing = launcher.created.instances.length + launcher.created.records.length + launcher.created.sourceGroups.length === 0 && !launcher.created.group && !launcher.created.keyPair && !launcher.created.zone;
    if (!nothing) {
      ctx.out.warn(`launch failed${aborted ? ' (interrupted)' : ''}; ${plan.keepOnFailure ? 'keeping' : 'removing'} what this run created`);
      const lines = await launcher.undo(plan.keepOnFailure);
      for (const l of lines) ctx.out.error(l);
    } else ctx.out.info(`${ctx.program}: nothing was created`);
    if (aborted) throw ctx.signal.reason instanceof Error ? ctx.signal.reason : new CancelledError();
    throw err;
  }
  await launcher.closePrimary();
  // The code in force is the one the instance kept (first writer wins): this run's, or an earlier or
  // concurrent run's of the same command that reached the instance first.
  const inForce = results.find((r) => r.authCode !== undefined)?.authCode ?? authCode;
  return successResult(ctx.program, plan, pre, launcher, results, inForce, {
    showCode: plan.showSecrets || (ctx.io.stdoutIsTTY && !ctx.global.json),
    region: aws.region,
    targetFlag: aws.local?.flag,
  });
};

/** The server's URL: port 80 (443) is redirected to 8900 on the instance, as the original did. */
function urlFor(plan: LaunchPlan, host: string): string | undefined {
  if (plan.role !== 'server' || !plan.graphtermPortOpen) return undefined;
  return `${plan.graphterm.https ? 'https' : 'http'}://${host}/`;
}

function successResult(
  program: string,
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
    void program;
  };
  return { json, render };
}

function dryRunResult(plan: LaunchPlan, pre: Preflight, report: DryRunReport, region: string, nowMs: number): CommandResult {
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
