import type { CommandSpec } from '../types.js';

export const spec: CommandSpec = {
  name: 'ec2scp',
  summary: 'Copy files to and from EC2 instances by name (over SFTP, like scp)',
  usage: '[options] SOURCE... TARGET',
  examples: [
    'ec2scp notes.txt lab:                  # into the home folder on instance "lab"',
    'ec2scp -r results/ lab:data/           # a folder, recursively',
    "ec2scp 'lab:logs/*.log' .              # remote wildcards (quote them)",
    'ec2scp ubuntu@lab:big.tar.gz --resume .  # continue an interrupted download',
    'ec2scp -p -i ~/.ssh/k.pem a b lab:dir/ # keep modes and times; this key only',
  ],
  configure(cmd) {
    cmd
      .argument('[args...]', 'SOURCE... TARGET; the instance side is [user@]NAME:path')
      .option('-r, --recursive', 'copy folders and everything in them')
      .option('-p, --preserve', 'keep modification and access times and modes')
      .option('-i, --identity <file>', 'use this private key only')
      .option('-P, --port <port>', 'SSH port on the instance (default: its ec2term:ssh-port tag, else 22)')
      .option('--resume', 'continue partial files (a leftover .part file or a shorter target), checking the overlap')
      .option('--parallel <n>', 'files copied at the same time (default 4)')
      .option('--no-share', 'connect afresh and leave no shared connection (also EC2TERM_SHARE=0); by default one is used and kept, as for ec2ssh')
      .option('--accept-new', 'trust a host key seen for the first time even if the console shows no fingerprint (weaker)');
  },
  load: () => import('./run.js'),
};
