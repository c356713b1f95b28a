// ec2ssh --ssh-config [NAME|PATTERN...]: writes one Host block per instance into ec2term's own file,
// ~/.ssh/config.d/ec2term (rewritten atomically; the named instances' blocks replaced, all of them when
// no name is given), and adds `Include` of it at the top of ~/.ssh/config once. Each block reaches the
// instance through `ProxyCommand ec2ssh --stdio ID`, so addresses that change on stop/start need no
// rewrite; the host key is checked by OpenSSH against ec2term's pins (HostKeyAlias = the instance id).
import { realpath } from 'node:fs/promises';
import { join } from 'node:path';
import type { AwsContext } from '../../lib/aws.js';
import { homeDir, tildify } from '../../lib/config-files.js';
import type { Ec2 } from '../../lib/ec2.js';
import { NotFoundError, UsageError } from '../../lib/errors.js';
import { readIfExists, writeFileAtomic } from '../../lib/fsutil.js';
import { LOOKS_LIKE_INSTANCE_ID } from '../../lib/ids.js';
import { label, LIVE_STATES, type InstanceInfo } from '../../lib/instances.js';
import { knownHostsPath } from '../../lib/paths.js';
import { matchesPattern, resolveInstance } from '../../lib/resolve.js';
import { usersForImages } from '../../lib/ssh/connect.js';
import { KnownHosts } from '../../lib/ssh/knownhosts.js';
import { markBlock, parseManaged, renderManaged, withInclude } from '../../lib/ssh/managed-config.js';
import { hostAlias, sshConfigBlock, type OpenSshTarget } from '../../lib/ssh/openssh.js';
import type { CommandContext, CommandOptions, CommandResult } from '../types.js';
import type { SshPlan } from './options.js';
import { identityFileFor } from './run.js';

/** Where the managed file and the user's config are (EC2TERM_SSH_CONFIG_DIR overrides ~/.ssh). */
export function sshConfigPaths(env: NodeJS.ProcessEnv): { dir: string; config: string; managed: string } {
  const dir = env.EC2TERM_SSH_CONFIG_DIR || join(homeDir(env), '.ssh');
  return { dir, config: join(dir, 'config'), managed: join(dir, 'config.d', 'ec2term') };
}

/** The words of the ProxyCommand: this node and this ec2ssh, with the AWS settings this run used. */
function proxyWords(ctx: CommandContext, aws: AwsContext, id: string): string[] {
  const bin = process.argv[1] && /ec2ssh$/.test(process.argv[1]) ? process.argv[1] : 'ec2ssh';
  const words = [process.execPath, bin];
  if (aws.local) words.push(aws.local.flag);
  else {
    if (ctx.global.profile) words.push('--profile', ctx.global.profile);
    if (ctx.global.endpointUrl) words.push('--endpoint-url', ctx.global.endpointUrl);
  }
  words.push('--region', aws.region, '-q', '--stdio', id);
  return words;
}

async function instancesFor(ctx: CommandContext, plan: SshPlan, ec2: Ec2): Promise<InstanceInfo[]> {
  if (plan.targets.length === 0) return (await ec2.describeInstances({ states: LIVE_STATES })).sort((a, b) => (a.name ?? a.id).localeCompare(b.name ?? b.id));
  const out: InstanceInfo[] = [];
  for (const target of plan.targets) {
    if (/[*?]/.test(target)) {
      const hits = (await ec2.describeInstances({ states: LIVE_STATES })).filter((i) => matchesPattern(i, target));
      if (hits.length === 0) throw new NotFoundError(`no instance matches "${target}"`);
      out.push(...hits);
    } else out.push(await resolveInstance(target, { ec2, prompt: ctx.prompt }, { purpose: 'write a Host block for' }));
  }
  return out;
}

export async function sshConfig(ctx: CommandContext, plan: SshPlan, aws: AwsContext, ec2: Ec2, _options: CommandOptions): Promise<CommandResult> {
  const paths = sshConfigPaths(ctx.io.env);
  const instances = await instancesFor(ctx, plan, ec2);
  const users = await usersForImages(ec2, instances.filter((i) => !i.user && !plan.user).map((i) => i.imageId ?? ''));
  const knownHosts = new KnownHosts(plan.knownHostsFile ?? knownHostsPath(ctx.io.env));
  const entries = await knownHosts.entries();
  const blocks = plan.targets.length === 0 ? new Map<string, string>() : parseManaged((await readIfExists(paths.managed)) ?? '');
  const written: { id: string; host: string; pinned: boolean }[] = [];
  const taken = new Map<string, string>([...blocks].map(([id, b]) => [/^Host (.*)$/m.exec(b)?.[1] ?? '', id]));
  for (const i of instances) {
    // The id goes into the marker line, HostKeyAlias and the ProxyCommand: only a real id shape may.
    if (!LOOKS_LIKE_INSTANCE_ID.test(i.id)) {
      ctx.out.warn(`left out an instance whose id ${JSON.stringify(i.id)} is not an instance id`);
      continue;
    }
    let alias = hostAlias(i.name, i.id);
    const owner = taken.get(alias);
    if (owner && owner !== i.id) alias = i.id;
    if (i.name && alias === i.id && hostAlias(i.name, 'none') === 'none') {
      ctx.out.warn(`${i.id}: its Name tag cannot be a Host alias (control or bidi characters, or another instance's id); its block is named ${i.id}`);
    }
    const t: OpenSshTarget = {
      instanceId: i.id,
      alias,
      host: i.id,
      port: plan.port ?? i.sshPort,
      user: plan.user ?? i.user ?? users.get(i.imageId ?? '') ?? 'ubuntu',
      identityFile: identityFileFor(ctx, plan, aws, i),
      knownHostsFile: knownHosts.path,
      proxyCommand: proxyWords(ctx, aws, i.id),
    };
    const pinned = entries.some((e) => e.hosts.includes(i.id));
    const notes = [`${label(i)}${i.dnsRecord ? `, ${i.dnsRecord}` : ''}`];
    if (i.state !== 'running') notes.push(`${i.state} when written: start it with ec2list --start ${i.id}`);
    const block = sshConfigBlock(t, notes);
    if (block.problem !== undefined) {
      // Written raw, such a value would become a directive of its own (ProxyCommand runs code).
      ctx.out.warn(`left out ${label(i)}: ${block.problem}`);
      continue;
    }
    blocks.set(i.id, markBlock(i.id, block.text));
    taken.set(alias, i.id);
    written.push({ id: i.id, host: alias, pinned });
  }
  const text = renderManaged(blocks);
  const json = { file: paths.managed, config: paths.config, hosts: written, dryRun: plan.dryRun };
  if (plan.dryRun) return { json, render: (out) => text.replace(/\n$/, '').split('\n').forEach((l) => out.line(l)) };

  await writeFileAtomic(paths.managed, text, 0o600);
  // A ~/.ssh/config that is a link (dotfiles) is updated where it points, not replaced by a file.
  const configPath = await realpath(paths.config).catch(() => paths.config);
  const include = withInclude((await readIfExists(configPath)) ?? '', paths.managed);
  if ('problem' in include) throw new UsageError(`cannot add the Include line to ${paths.config}: ${include.problem}`);
  if ('text' in include) await writeFileAtomic(configPath, include.text, 0o600);
  const env = ctx.io.env;
  return {
    json: { ...json, includeAdded: 'text' in include },
    render: (out) => {
      if (written.length === 0) out.info('ec2ssh: no live instances');
      out.info(`ec2ssh: wrote ${written.length} Host block${written.length === 1 ? '' : 's'} to ${tildify(paths.managed, env)}: ${written.map((w) => w.host).join(', ')}`);
      if ('text' in include) out.info(`ec2ssh: added "Include ${tildify(paths.managed, env)}" at the top of ${tildify(paths.config, env)}`);
      out.info('ec2ssh: now `ssh NAME` works; each connection looks the instance up (stop/start needs no rewrite)');
    },
  };
}
