import { Option } from 'commander';
import { addAccessOptions } from '../../lib/access/options.js';
import type { CommandSpec } from '../types.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];

export const spec: CommandSpec = {
  name: 'ec2scp',
  summary: 'Copy files to and from EC2 instances by name (over SFTP, like scp)',
  usage: '[options] SOURCE... TARGET',
  examples: [
    'ec2scp notes.txt lab:                  # into the home folder on instance "lab"',
    'ec2scp -r results/ lab:data/           # a folder, recursively',
    "ec2scp 'lab:logs/*.log' .              # remote wildcards (quote them)",
    "ec2scp 'lab:~/proj/{a,b}.txt' .        # ~/ and {a,b} on the remote side",
    'ec2scp -3 lab:x.tgz web:               # instance to instance, through here',
    'ec2scp -J bastion lab:report.pdf .     # through another instance',
    'ec2scp ubuntu@lab:big.tar.gz --resume .  # continue an interrupted download',
    'ec2scp -p -i ~/.ssh/k.pem a b lab:dir/ # keep modes and times; this key only',
    'ec2scp --via eice report.pdf private-lab:  # through an EC2 Instance Connect Endpoint',
  ],
  configure(cmd) {
    cmd
      .argument('[args...]', 'SOURCE... TARGET; the instance side is [user@]NAME:path')
      .option('-r, --recursive', 'copy folders and everything in them')
      .option('-p, --preserve', 'keep modification and access times and modes')
      .option('-i, --identity <file>', 'use this private key only')
      .option('-P, --port <port>', 'SSH port on the instance (default: its ec2term:ssh-port tag, else 22)')
      .addOption(new Option('-3', 'copy between two instances through this machine (what ec2scp always does)'))
      .addOption(new Option('-4', 'IPv4 addresses only'))
      .addOption(new Option('-6', 'IPv6 addresses only'))
      .addOption(new Option('-A', 'forward the SSH agent (SSH_AUTH_SOCK)'))
      .addOption(new Option('-B', 'batch mode: never ask for a passphrase'))
      .addOption(new Option('-C', 'compress the connection (zlib)'))
      .addOption(new Option('-F <file>', 'read options for each instance from this ssh_config file'))
      .addOption(new Option('-J <jump>', 'go through these instances first: NAME[,NAME...] (ProxyJump)'))
      .addOption(new Option('-l <limit>', 'limit the bandwidth to this many Kbit/s (the whole copy)'))
      .addOption(new Option('-o <option>', 'OpenSSH option Key=Value (repeatable; the supported keys are in docs/scp.md)').argParser(collect))
      .addOption(new Option('-O', 'legacy scp protocol: not implemented, ec2scp uses SFTP (accepted with a notice)'))
      .addOption(new Option('-R', 'remote-to-remote from the source: streamed through here, as -3 (accepted with a notice)'))
      .addOption(new Option('-s', 'use SFTP (what ec2scp always does)'))
      .addOption(new Option('-T', 'no strict filename checking: ec2scp keeps its own checks of remote names'))
      .addOption(new Option('-S <program>', 'not supported: ec2scp runs no ssh program').hideHelp())
      .addOption(new Option('-D <path>', 'not supported: a local sftp-server program').hideHelp())
      .addOption(new Option('-X <sftp_option>', 'buffer=BYTES (per request) or nrequests=N (in flight per file)').argParser(collect))
      .option('--resume', 'continue partial files (a leftover .part file or a shorter target), checking the overlap')
      .option('--parallel <n>', 'files copied at the same time (default 4)')
      .option('--no-share', 'connect afresh and leave no shared connection (also EC2TERM_SHARE=0); by default one is used and kept, as for ec2ssh')
      .option('--accept-new', 'trust a host key seen for the first time even if the console shows no fingerprint (weaker)');
    addAccessOptions(cmd);
  },
  load: () => import('./run.js'),
};
