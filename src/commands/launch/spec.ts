// ec2launch: options, help and examples. Cheap to load (commander types only); run.ts does the work.
import { Option } from 'commander';
import type { CommandSpec } from '../types.js';

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
    cmd
      .argument('[NAME]', 'tag name, lower case: lab, or lab.myterm.com for a DNS name in that Route 53 zone')
      .option('--type <type>', 'instance type (default t3.small)')
      .option('--ami <id>', 'image id (default: the newest Ubuntu 22.04 LTS for the region, from Canonical: it has Python 2.7)')
      .option('--key <name>', 'EC2 key pair (default "ec2term", created on first use; private key saved 0600)')
      .option('--import-key <file>', 'create the key pair from this local public key (FILE.pub) instead of a new one')
      .option('--auth-code <code>', 'GraphTerm auth code, 8-16 letters/digits, dashes ignored (default: EC2TERM_AUTH_CODE, else random, shown once at the end)')
      .addOption(new Option('--auth-type <type>', 'GraphTerm auth type').choices(['singleuser', 'none', 'name', 'multiuser']))
      .option('--https', 'serve GraphTerm over https (a 2048-bit self-signed certificate made at setup; URL https://NAME/)')
      .option('--open-server', 'with --auth-type none or name: open GraphTerm\'s ports anyway (no code guards them)')
      .option('--oauth-file <file>', 'gterm_oauth.json with Google sign-in settings, delivered over SSH to ~/.graphterm')
      .option('--pylab', 'install scientific Python 2.7 (numpy 1.16, matplotlib 2.2; x86_64 only)')
      .option('--R', 'install R')
      .option('--netcdf', 'install netCDF libraries and netCDF4')
      .option('--install <pkgs>', 'extra packages, comma separated: apt names, or pip:NAME for Python packages')
      .option('--copy <files>', 'local files (comma separated) copied to the home directory once SSH works')
      .option('--connect-to <primary>', 'secondary host: run gtermhost connected to this GraphTerm server')
      .option('--accept-hosts', 'server that secondary hosts join (port 8899, open to the hosts\' security group only)')
      .option('--count <n>', 'launch N hosts named NAME-1..NAME-N')
      .option('--hosts <n>', 'a fleet: N hosts joining --connect-to SERVER, from a launch template and an Auto Scaling group that replaces lost hosts; with --accept-hosts: the server NAME and its fleet NAME-hosts (docs/fleets.md)')
      .option('--spot', 'with --hosts: spot instances (a mixed instances policy)')
      .option('--volume-size <gb>', 'root volume size in GB')
      .option('--data-volume <gb>', 'attach an extra EBS volume of this size, mounted on /data')
      .option('--from-snapshot <snap>', 'create the data volume from this snapshot (never formatted)')
      .option('--allow-from <cidr>', 'who may reach ssh and GraphTerm ports, comma separated IPv4 or IPv6 CIDRs (see docs/launch.md for the default)')
      .option('--subnet <id>', 'launch into this subnet (its VPC\'s security groups are used; IPv6 when the subnet has it)')
      .option('--vpc <id>', 'launch into this VPC (a subnet of it: one with public addresses first); default: the default VPC')
      .option('--iam-profile <name|arn>', 'IAM instance profile for the instance')
      .option('--eip [alloc-id]', 'an Elastic IP, so the address survives stop/start: a new one (released by ec2list --terminate), or this allocation')
      .option('--no-key-pair', 'launch with no key pair: logins push a one-time key with EC2 Instance Connect (Amazon Linux 2/2023, Ubuntu 16.04+)')
      .option('--tag <KEY=VALUE>', 'an extra tag on the instance and its volumes (repeatable; not aws:, ec2term: or Name)', (v: string, prev: string[] = []) => [...prev, v])
      .option('--ttl <duration>', 'the instance powers off and terminates itself after this long (e.g. 4h, 2d)')
      .addOption(new Option('--wait <phase>', 'how far to wait: running, ssh, ready (setup finished) or none').choices(['running', 'ssh', 'ready', 'none']))
      .option('--timeout <duration>', 'time limit of each waiting phase (default: running 5m, ssh 5m, ready 20m)')
      .option('--client-token <token>', 'EC2 idempotency token (default: derived from name, parameters and day)')
      .option('--create-zone', 'create the Route 53 hosted zone for the domain when it does not exist')
      .option('--replace', 'terminate a live instance of the same name first')
      .option('--keep-on-failure', 'keep what was created when a later step fails (default: remove it)')
      .option('--show-secrets', 'also print the auth code with --json or without a terminal')
      .option('--user-data', 'print the generated user-data script and exit')
      .option('--dry-run', 'print the full plan and change nothing anywhere')
      .option('--form', 'fill in the launch form (prefilled from the flags given)')
      .option('-y, --yes', 'do not ask for confirmation')
      .option('--gmail-addr <addr>', 'e-mail address for Google sign-in (written to ~/.graphterm/gterm_email.txt)')
      .option('--allow-embed', 'GraphTerm --allow_embed')
      .option('--allow-share', 'GraphTerm --allow_share')
      .option('--notebook-server', 'GraphTerm --nb_server')
      .option('--logging', 'GraphTerm --logging')
      .option('--oshell', 'GraphTerm --oshell')
      .option('--screen', 'run GraphTerm inside GNU screen (attach with: screen -r gtermserver)')
      .option('--other-opts <opts>', 'more gtermserver 0.57 options, e.g. "--lc_export=telephone" (checked against its real options)');
  },
  load: () => import('./run.js'),
};
