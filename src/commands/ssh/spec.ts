import type { CommandSpec } from '../types.js';

export const spec: CommandSpec = {
  name: 'ec2ssh',
  summary: 'Log in to an EC2 instance by name, id or address',
  usage: '[options] [user@]TARGET [command...]',
  examples: ['ec2ssh --help'],
  configure(cmd) {
    cmd.argument('[args...]');
  },
  load: () => import('./run.js'),
};
