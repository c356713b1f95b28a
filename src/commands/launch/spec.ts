import type { CommandSpec } from '../types.js';

export const spec: CommandSpec = {
  name: 'ec2launch',
  summary: 'Launch an EC2 instance running a GraphTerm server',
  usage: '[options] [NAME]',
  examples: ['ec2launch --help'],
  configure(cmd) {
    cmd.argument('[args...]');
  },
  load: () => import('./run.js'),
};
