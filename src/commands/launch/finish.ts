// One launched host's finishing steps: running, its Elastic IP, its DNS record, the SSH port, a login
// with the host key verified, then over that connection the OAuth file, the auth code (first writer wins)
// or a secondary host's key from the primary, --copy files and the setup marker.
import { Ec2termError } from '../../lib/errors.js';
import { TAGS, type InstanceInfo } from '../../lib/instances.js';
import { dashify } from '../../lib/graphterm/wrapper.js';
import { UNIT_NAME } from '../../lib/graphterm/userdata.js';
import { authCodeDeliveryScript, graphtermHostName, hostAuthFile, parseDeliveredAuthCode, serverAuthFile } from '../../lib/graphterm/delivery.js';
import { pollUntil, waitForInstanceState, waitForTcpPort } from '../../lib/wait.js';
import { shellQuote } from '../../lib/shellquote.js';
import { count } from '../../lib/words.js';
import type { HostResult, Launcher } from './launcher.js';
import { attachElasticIp } from './placement.js';
import type { HostPrep } from './preflight.js';
import { WRAPPER_COMMAND } from './primary.js';

/** The external host GraphTerm is started with (names its code file): the DNS record, else what the
 * instance's metadata says (public host name, else address), as the user-data computes it. */
export function externalHostOf(prep: HostPrep, instance: InstanceInfo): string {
  return prep.host.dnsName ?? instance.publicDns ?? instance.publicIp ?? '';
}

/** Stores gterm_oauth.json from stdin, private to the login user. */
const OAUTH_DELIVERY = 'umask 077 && mkdir -p .graphterm && cat >.graphterm/gterm_oauth.json.tmp && mv -f .graphterm/gterm_oauth.json.tmp .graphterm/gterm_oauth.json';

/**
 * Waits on the instance (up to `maxMs`, at most 20 s per call) for the setup's marker file, then prints
 * ERROR + the error file or OK + the status. One SSH exec notices the marker within 0.2 s, where polling
 * from here with back-off would notice it seconds late and pay a round trip per look.
 */
export function setupMarkerWait(maxMs: number): string {
  const rounds = Math.max(0, Math.min(100, Math.ceil(maxMs / 200)));
  return (
    `i=0; while [ ! -f SETUP_ERROR ] && [ ! -f SETUP_STATUS ] && [ "$i" -lt ${rounds} ]; do sleep 0.2; i=$((i+1)); done; ` +
    'if [ -f SETUP_ERROR ]; then echo "ERROR"; cat SETUP_ERROR; elif [ -f SETUP_STATUS ]; then echo "OK"; cat SETUP_STATUS; fi'
  );
}

/** Waits and finishing steps for one launched instance. */
export async function finishHost(l: Launcher, prep: HostPrep, launched: InstanceInfo, authCode: string | undefined): Promise<HostResult> {
  const { ctx, ec2, dns, aws } = l.deps;
  const { plan } = l;
  const name = prep.host.name;
  const result: HostResult = { instance: launched, sshOk: false, copied: [], authCodeDelivered: false };
  if (plan.wait === 'none') return result;
  const wopts = (timeoutMs: number, hint: string) => ({ clock: ctx.clock, signal: ctx.signal, timeoutMs, hint });

  let instance = await l.progress.phase({ id: 'running', host: name, label: 'running' }, () =>
    waitForInstanceState(ec2, launched.id, ['running'], wopts(plan.timeouts.running, `the instance is still starting: see it with ec2list ${name}; run ec2launch again with a longer --timeout to continue with it`)),
  );
  if (plan.placement.eip) {
    const eip = await l.progress.phase({ id: 'elastic-ip', host: name, label: 'Elastic IP' }, () => attachElasticIp(l.writes, plan.placement, instance, name));
    l.progress.note(`${name}: Elastic IP ${eip.publicIp} (${eip.allocationId}${eip.allocated ? ', allocated; ec2list --terminate releases it' : ''})`);
    instance = await pollUntil(`the Elastic IP on ${instance.id}`, async () => {
      const [i] = await ec2.describeInstances({ ids: [instance.id] });
      return i?.publicIp === eip.publicIp ? i : undefined;
    }, wopts(plan.timeouts.running, 'EC2 is slow to show the new address; run ec2launch again to continue'));
  }
  l.replaceInstance(instance);
  result.instance = instance;

  if (prep.host.dnsName && dns && l.pre.zone) {
    const zone = l.pre.zone;
    const ip = instance.publicIp;
    if (!ip) throw new Ec2termError(`${name} (${instance.id}) has no public address, so no DNS record can point at it`);
    await l.progress.phase({ id: 'dns', host: name, label: `DNS A record ${prep.host.dnsName} -> ${ip} (INSYNC)` }, async () => {
      const change = await dns.upsertRecord(zone.id, prep.host.dnsName!, 'A', ip, 60);
      l.created.records.push({ zoneId: zone.id, name: prep.host.dnsName!, values: [ip, instance.publicDns ?? ''].filter(Boolean) });
      await ec2.createTags([instance.id], { [TAGS.dns]: prep.host.dnsName!, [TAGS.zone]: zone.id, [TAGS.dnsValue]: ip });
      await dns.waitInsync(change.id, wopts(plan.timeouts.running, 'Route 53 is slow to apply the change; the record will still appear; check it later with ec2list'));
    });
    result.dnsName = prep.host.dnsName;
    instance = { ...instance, dnsRecord: prep.host.dnsName, hostedZoneId: zone.id };
    result.instance = instance;
  }
  if (plan.wait === 'running') return result;

  // A private-only or IPv6 instance is reached the way ec2ssh reaches it (connectToInstance retries while sshd starts).
  const address = instance.publicIp ?? instance.publicDns;
  if (address) {
    await l.progress.phase({ id: 'ssh-port', host: name, label: `SSH port ${instance.sshPort} open` }, () =>
      waitForTcpPort(address, instance.sshPort, wopts(plan.timeouts.ssh, `check the security group ${plan.securityGroup.name} allows port 22 from your address (--allow-from)`)),
    );
  }
  const { connectToInstance } = await import('../../lib/ssh/index.js');
  const session = await l.progress.phase({ id: 'ssh-login', host: name, label: 'SSH login with the host key verified against the console' }, () =>
    connectToInstance(instance, {
      aws,
      ec2,
      user: plan.user,
      identityFile: l.keyPair?.keyFile,
      hostKeyPolicy: 'verify',
      retryMs: plan.timeouts.ssh,
      consoleWaitMs: plan.timeouts.ssh,
      pendingWaitMs: plan.timeouts.running,
      signal: ctx.signal,
      prompt: ctx.prompt,
      out: ctx.out,
      env: ctx.io.env,
      clock: ctx.clock,
    }),
  );
  result.sshOk = true;
  try {
    if (plan.oauthFile) {
      // Before the code: GraphTerm reads its OAuth settings when it starts, which the code triggers.
      const { readFile } = await import('node:fs/promises');
      const body = await readFile(plan.oauthFile);
      const r = await session.exec(OAUTH_DELIVERY, { stdin: body, signal: ctx.signal });
      if (r.code !== 0) throw new Ec2termError(`could not store the OAuth file on ${name}: ${r.stderr.toString('utf8').trim() || `exit ${r.code}`}`);
    }
    if (authCode !== undefined) {
      // Over the verified connection, on stdin (never in a command line or in user-data), into the file
      // GraphTerm 0.57 reads. First writer wins: an instance that already has a code (an earlier or
      // concurrent run of this same command) keeps it, and the script prints back the code in force.
      const file = serverAuthFile(externalHostOf(prep, instance));
      const r = await session.exec(authCodeDeliveryScript(file), { stdin: `${dashify(authCode)}\n`, signal: ctx.signal });
      if (r.code !== 0) throw new Ec2termError(`could not store the auth code on ${name}: ${r.stderr.toString('utf8').trim() || `exit ${r.code}`}`);
      const inForce = parseDeliveredAuthCode(r.stdout.toString('utf8'))?.split(/\s/)[0]?.replace(/-/g, '');
      if (inForce === undefined || inForce === '') {
        throw new Ec2termError(`~${plan.user}/${file} on ${name} does not hold a usable auth code`, 1, {
          hint: `remove it (ec2ssh ${name} rm ${shellQuote(file)}) and run ec2launch again, or launch a new instance with --replace`,
        });
      }
      if (inForce !== authCode) {
        if (plan.authCode.kind === 'given') {
          ctx.out.warn(`${name} already had an auth code from an earlier run; it is kept and --auth-code was not applied (remove ~${plan.user}/${file} there and restart ${UNIT_NAME}, or use --replace)`);
        } else l.progress.note(`${name} already had an auth code (from an earlier or concurrent run of this command); keeping it`);
      }
      result.authCode = inForce;
      result.authCodeDelivered = true;
    }
    if (plan.role === 'host') {
      const hostName = graphtermHostName(name);
      const key = await l.progress.phase({ id: 'host-key', host: name, label: `its key from ${plan.connectTo} (the HMAC gauth computes)` }, () => l.primary.run(`${WRAPPER_COMMAND} hostkey ${hostName}`));
      if (!/^[0-9a-f-]{4,64}$|^none$/.test(key.trim())) throw new Ec2termError(`${plan.connectTo} gave no usable key for ${hostName}`);
      const file = hostAuthFile(hostName);
      const r = await session.exec(authCodeDeliveryScript(file, { replace: true }), { stdin: `${key.trim()}\n`, signal: ctx.signal });
      if (r.code !== 0) throw new Ec2termError(`could not store the host key on ${name}: ${r.stderr.toString('utf8').trim() || `exit ${r.code}`}`);
      result.authCodeDelivered = true;
    }
    if (plan.copy.length > 0) {
      const { basename, resolve } = await import('node:path');
      await l.progress.phase({ id: 'copy', host: name, label: `copying ${count(plan.copy.length, 'file')}` }, async () => {
        const sftp = await session.sftp();
        for (const f of plan.copy) {
          const remote = basename(f);
          await new Promise<void>((ok, fail) => sftp.fastPut(resolve(f), remote, (err) => (err ? fail(new Ec2termError(`copying ${f} to ${name}: ${err.message}`)) : ok())));
          result.copied.push(remote);
        }
      });
    }
    if (plan.wait === 'ready') {
      const readyDeadline = ctx.clock.now() + plan.timeouts.ready;
      result.setup = await l.progress.phase({ id: 'setup', host: name, label: `setup marker ~${plan.user}/SETUP_STATUS` }, () =>
        pollUntil(
          `the setup of ${name} to finish (~${plan.user}/SETUP_STATUS)`,
          async () => {
            const r = await session.exec(setupMarkerWait(readyDeadline - ctx.clock.now()), { signal: ctx.signal });
            const text = r.stdout.toString('utf8');
            if (text.startsWith('ERROR')) {
              throw new Ec2termError(`the setup of ${name} failed: ${text.slice(6).split('\n').filter(Boolean).join(' | ').slice(0, 600)}`, 1, {
                hint: `the full log is /root/ec2launch.log on the instance (ec2ssh ${name} sudo cat /root/ec2launch.log; add --keep-on-failure to keep the instance for that)`,
              });
            }
            return text.startsWith('OK') ? text.slice(3).trim() : undefined;
          },
          { ...wopts(plan.timeouts.ready, `setup is still running: follow it with ec2ssh ${name} sudo tail -f /root/ec2launch.log (and raise --timeout)`), backoff: { initialMs: 100, maxMs: 1_000, factor: 2 } },
        ),
      );
      if (plan.role === 'host') {
        const hostName = graphtermHostName(name);
        await l.progress.phase({ id: 'joined', host: name, label: `listed by ${plan.connectTo} as host ${hostName}` }, () =>
          pollUntil(
            `${hostName} to appear in the host list of ${plan.connectTo}`,
            async () => ((await l.primary.run(`${WRAPPER_COMMAND} hosts`)).split('\n').includes(hostName) ? true : undefined),
            { ...wopts(plan.timeouts.ready, `check that ${plan.connectTo} was launched with --accept-hosts (its port 8899 open to the group ec2term-graphterm-host) and see: ec2ssh ${name} journalctl -u ${UNIT_NAME}`), backoff: { initialMs: 500, maxMs: 5_000, factor: 2 } },
          ),
        );
      }
    }
  } finally {
    await session.close().catch(() => {});
  }
  return result;
}
