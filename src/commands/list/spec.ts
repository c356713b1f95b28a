import type { CommandSpec } from '../types.js';

export const spec: CommandSpec = {
  name: 'ec2list',
  summary: 'List EC2 instances and stop, start or terminate them',
  usage: '[options] [PATTERN...]',
  examples: ['ec2list --help'],
  configure(cmd) {
    cmd.argument('[args...]');
  },
  load: () => import('./run.js'),
};
