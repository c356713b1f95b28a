import type { CommandSpec } from '../types.js';

export const spec: CommandSpec = {
  name: 'ec2scp',
  summary: 'Copy files to and from EC2 instances by name',
  usage: '[options] SOURCE... TARGET',
  examples: ['ec2scp --help'],
  configure(cmd) {
    cmd.argument('[args...]');
  },
  load: () => import('./run.js'),
};
