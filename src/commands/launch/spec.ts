// ec2launch: help, examples and aliases; the flags are flags.ts's table. Cheap to load (commander and
// types only); run.ts does the work.
import type { CommandSpec } from '../types.js';
import { commanderOption, LAUNCH_FLAGS } from './flags.js';

export const spec: CommandSpec = {
  name: 'ec2launch',
  summary: 'Launch an EC2 instance running a GraphTerm server (or a host joined to one), with DNS, safely',
  usage: '[options] NAME',
  examples: [
    'ec2launch --create-zone lab.myterm.com --pylab      a server at http://lab.myterm.com/',
    'ec2launch --dry-run lab.myterm.com                  show the full plan, change nothing',
    'ec2launch --connect-to lab.myterm.com node1         a secondary host running gtermhost',
    'ec2launch --hosts 30 --connect-to lab.myterm.com node  a fleet of 30 hosts (an Auto Scaling group)',
    'ec2launch --allow-from 203.0.113.7/32 --ttl 4h lab  reachable from one address, gone after 4 hours',
    'ec2launch --subnet subnet-0abc... --no-key-pair lab a private subnet, reached through EC2 Instance Connect',
    'ec2launch --eip lab                                 an Elastic IP: the same address after stop/start',
    'ec2launch --tag project=atlas --tag owner=me lab     extra tags on the instance and its volumes',
    'ec2launch --form                                    fill in a form (prefilled from the other flags)',
    'ec2launch --user-data --pylab lab                   print the generated user-data script',
  ],
  aliases: {
    '--connect_to_gterm': '--connect-to',
    '--connect-to-gterm': '--connect-to',
    '--copy_files': '--copy',
    '--copy-files': '--copy',
    '--nb_server': '--notebook-server',
  },
  configure(cmd) {
    cmd.argument('[NAME]', 'tag name, lower case: lab, or lab.myterm.com for a DNS name in that Route 53 zone');
    for (const f of LAUNCH_FLAGS) cmd.addOption(commanderOption(f));
  },
  load: () => import('./run.js'),
};
