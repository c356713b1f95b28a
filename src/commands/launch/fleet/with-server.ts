// `ec2launch --accept-hosts --hosts N NAME`: the server NAME, then its fleet NAME-hosts (the first label
// of NAME, so lab.myterm.test's fleet is lab-hosts) joined to it, in one command with one result. Each half
// is the ordinary launch (the same run, the same flags where they apply to it): the server with every
// flag but --hosts/--spot, the fleet with the flags a host takes and --connect-to NAME.
import { UsageError } from '../../../lib/errors.js';
import type { Output } from '../../../lib/output.js';
import type { CommandContext, CommandOptions, CommandResult, RunCommand } from '../../types.js';

/** The flags a fleet host takes from the command line (the rest are the server's). */
const HOST_FLAGS = ['type', 'ami', 'key', 'importKey', 'pylab', 'R', 'netcdf', 'install', 'allowFrom', 'ttl', 'wait', 'timeout', 'keepOnFailure', 'yes', 'logging', 'oshell', 'screen', 'dryRun', 'volumeSize', 'tag', 'hosts', 'spot'] as const;

/** Pure: the fleet's name for a server name (a plain name: fleet hosts get no DNS records). */
export const serverFleetName = (server: string): string => `${server.split('.')[0]}-hosts`;

/** Pure: the two launches one command makes: the server's argv/options and the fleet's. */
export function splitServerAndFleet(args: string[], o: CommandOptions): { server: [string[], CommandOptions]; fleet: [string[], CommandOptions] } {
  const name = args[0]!;
  const { hosts: _h, spot: _s, ...server } = o;
  const fleet: CommandOptions = Object.fromEntries(HOST_FLAGS.filter((k) => o[k] !== undefined).map((k) => [k, o[k]]));
  return { server: [args, server], fleet: [[serverFleetName(name)], { ...fleet, connectTo: name }] };
}

export async function launchServerWithFleet(ctx: CommandContext, args: string[], o: CommandOptions, run: RunCommand): Promise<CommandResult> {
  if (args[0] === undefined) throw new UsageError('--accept-hosts --hosts N needs the server\'s NAME');
  const { server, fleet } = splitServerAndFleet(args, o);
  const s = (await run(ctx, ...server)) ?? {};
  if (s.exitCode) return s;
  let f: CommandResult;
  try {
    f = (await run(ctx, ...fleet)) ?? {};
  } catch (err) {
    if (!o.dryRun) ctx.out.warn(`the server ${args[0]} is up; its fleet ${fleet[0][0]} was not launched (run: ec2launch --hosts ${String(o.hosts)} --connect-to ${args[0]} ${fleet[0][0]})`);
    throw err;
  }
  return {
    json: { ok: true, server: s.json ?? null, fleet: f.json ?? null },
    exitCode: f.exitCode,
    render: (out: Output) => { s.render?.(out); out.line(''); f.render?.(out); },
  };
}
