// `ec2term sandbox start|status|stop|reset|env`: manage the embedded sandbox.
import { UsageError } from '../../lib/errors.js';
import { tildify } from '../../lib/config-files.js';
import type { CommandResult, RunCommand } from '../types.js';

const ACTIONS = ['start', 'status', 'stop', 'reset', 'env'] as const;
type Action = (typeof ACTIONS)[number];

/** Pure: shell lines that point the AWS CLI (or any SDK) at the sandbox, with its own keys (secrets.json in its folder). */
export function sandboxEnvLines(url: string, region: string, accessKeyId: string, secretAccessKey: string): string[] {
  return [
    `export AWS_ENDPOINT_URL=${url}`,
    `export AWS_ACCESS_KEY_ID=${accessKeyId}`,
    `export AWS_SECRET_ACCESS_KEY=${secretAccessKey}`,
    `export AWS_REGION=${region}`,
    'export AWS_EC2_METADATA_DISABLED=true',
    'export EC2TERM_SANDBOX=1',
    '# awscli older than 2.13 ignores AWS_ENDPOINT_URL: run it as aws --endpoint-url "$AWS_ENDPOINT_URL" ...',
  ];
}

export const run: RunCommand = async (ctx, args, options): Promise<CommandResult> => {
  const [topic, action] = args;
  if (topic === 'completion') {
    const script = await (await import('./completion/script.js')).completionScript(action);
    return { render: (out) => out.io.stdout.write(script) };
  }
  // Hidden: what completion scripts call for instance names (recent ec2list listings, plain words only).
  if (topic === '__complete-names') {
    const names = await (await import('../../lib/name-cache.js')).readNameCache(ctx.io.env, ctx.clock.now());
    return { render: (out) => out.io.stdout.write(names.map((n) => `${n}\n`).join('')) };
  }
  // Hidden: the AWS profiles in ~/.aws/config and ~/.aws/credentials, for --profile.
  if (topic === '__complete-profiles') {
    const profiles = await (await import('../../lib/name-cache.js')).awsProfileNames(ctx.io.env);
    return { render: (out) => out.io.stdout.write(profiles.map((n) => `${n}\n`).join('')) };
  }
  if (topic !== 'sandbox') throw new UsageError(`unknown topic "${topic}": expected "sandbox" or "completion"`);
  if (!ACTIONS.includes(action as Action)) throw new UsageError(`unknown action "${action}": expected ${ACTIONS.join(', ')}`);
  const client = await import('../../sandbox/client.js');
  const env = ctx.io.env;
  switch (action as Action) {
    case 'start': {
      const info = await client.ensureSandbox(env);
      const data = { running: true, url: info.url, pid: info.pid, dir: info.dir };
      return { json: data, render: (out) => out.line(`sandbox running at ${info.url} (pid ${info.pid}, state in ${tildify(info.dir, env)})`) };
    }
    case 'status': {
      const status = await client.sandboxStatus(env);
      const data = { running: status.running, url: status.info?.url ?? null, pid: status.info?.pid ?? null, dir: status.dir, state: status.state ?? null };
      return {
        json: data,
        exitCode: status.running ? 0 : 1,
        render: (out) => {
          out.line(status.running ? `sandbox running at ${status.info!.url} (pid ${status.info!.pid})` : 'sandbox not running');
          out.line(`state in ${tildify(status.dir, env)}`);
          if (status.state && typeof status.state === 'object') {
            for (const [k, v] of Object.entries(status.state as Record<string, unknown>)) {
              if (typeof v === 'number' || typeof v === 'string') out.line(`  ${k}: ${v}`);
            }
          }
        },
      };
    }
    case 'stop': {
      const stopped = await client.stopSandbox(env);
      return { json: { stopped }, render: (out) => out.line(stopped ? 'sandbox stopped' : 'sandbox was not running') };
    }
    case 'reset': {
      if (!options.yes) {
        if (!ctx.prompt.interactive) throw new UsageError('reset removes every sandbox instance, key, group, volume and zone: pass --yes');
        const sure = await ctx.prompt.confirm('Remove every instance, key pair, group, volume, snapshot and zone in the sandbox?');
        if (!sure) return { exitCode: 130, render: (out) => out.info('nothing changed') };
      }
      const info = await client.resetSandbox(env);
      return { json: { reset: true, url: info.url }, render: (out) => out.line(`sandbox at ${info.url} is empty again`) };
    }
    case 'env': {
      const info = await client.ensureSandbox(env);
      const region = ctx.global.region ?? info.region;
      const lines = sandboxEnvLines(info.url, region, info.accessKeyId, info.secretAccessKey);
      return { json: { url: info.url, region, accessKeyId: info.accessKeyId, secretAccessKey: info.secretAccessKey }, render: (out) => lines.forEach((l) => out.line(l)) };
    }
  }
};
