// ec2list's options and help. Cheap to load: commander types only.
import { Option } from 'commander';
import type { CommandSpec } from '../types.js';

export const spec: CommandSpec = {
  name: 'ec2list',
  summary: 'List EC2 instances (health, storage, cost) and stop, start or terminate them safely',
  usage: '[options] [PATTERN...]',
  examples: [
    'ec2list                              # instances that are not terminated, current region',
    "ec2list 'lab*' --wide                # wildcards on Name tag, id, DNS record or address",
    'ec2list --region all --json | jq -r ".[].name"',
    'ec2list --output text | cut -f1,3    # name and id (tab-separated; also --output tsv)',
    "ec2list --query '[?state==`running`].name' --output text",
    'ec2list --profile work,home          # every profile\'s instances, with a PROFILE column',
    'ec2list --health                     # status checks and scheduled events',
    'ec2list --volumes lab                # EBS volumes of lab',
    'ec2list --snapshot lab               # snapshot lab\'s volumes (tagged ec2term:managed)',
    'ec2list --terminate lab --yes --wait # remove its DNS record, terminate, wait until terminated',
    'ec2list --stop                       # pick instances to stop (on a terminal)',
    'ec2list --expired --yes              # CI janitor: terminate managed instances past their expiry',
    'ec2list --watch                      # redraw every 5 s until Ctrl-C',
    'ec2list --scale node=3 --yes         # a fleet (ec2launch --hosts) down to 3 hosts',
  ],
  multiProfile: true,
  aliases: { '--kill': '--terminate', '--killall': '--terminate-all' },
  configure(cmd) {
    cmd
      .argument('[PATTERN...]', 'Name tag, instance id, DNS record or address; shell wildcards (* ?) allowed')
      .option('-a, --all', 'include terminated instances')
      .option('-w, --wide', 'more columns: image, key, security groups, zone, launch parameters, hourly price')
      .option('--no-headers', 'no header line in table and tsv output')
      .addOption(new Option('--sort <key>', 'sort by name, age, state, type, expires or region (default: region, name)').choices(['name', 'age', 'state', 'type', 'expires', 'region']))
      .option('--health', 'status checks and scheduled events (reboot, retirement, maintenance) with dates')
      .option('--volumes', "each instance's EBS volumes (size, type, state, device)")
      .option('--snapshots', 'list the snapshots ec2term made')
      .option('--watch', 'redraw the list every few seconds until Ctrl-C')
      .option('--interval <duration>', 'redraw interval for --watch (e.g. 5s, 1m)', '5s')
      .option('--stop [NAME...]', 'stop instances (a picker on a terminal when no NAME)')
      .option('--force', 'with --stop: force the stop (no clean shutdown)')
      .option('--start [NAME...]', 'start stopped instances')
      .option('--terminate [NAME...]', 'terminate instances, removing their Route 53 records first (alias --kill)')
      .option('--fleets', 'list fleets (ec2launch --hosts): desired, in service and joined hosts of each')
      .option('--scale <NAME=N>', 'resize a fleet to N hosts (asks when it shrinks; --yes without a terminal)')
      .option('--terminate-all', 'terminate every ec2term-managed instance listed (alias --killall)')
      .option('--include-unmanaged', 'with --terminate-all or --delete-snapshot: also act on what ec2term did not create')
      .option('--expired', 'terminate ec2term-managed instances past their ec2term:expires-at time')
      .option('--snapshot [NAME...]', "snapshot an instance's EBS volumes (tagged)")
      .option('--delete-snapshot <ID...>', 'delete snapshots by id (snap-...)')
      .option('-y, --yes', 'do it without asking (needed without a terminal for destructive actions)')
      .option('-n, --dry-run', 'only report what would be done; change nothing')
      .option('--wait', 'wait until the action completes (terminated, stopped, running, snapshot completed)')
      .option('--timeout <duration>', 'how long --wait waits (e.g. 10m)', '15m');
    cmd.addHelpText(
      'after',
      `
Actions take names as ec2ssh does (Name tag, id, DNS record, address, unique prefix); several act at
once. Destructive actions (stop, terminate, terminate-all, expired, delete-snapshot) show what they
will do and ask; without a terminal they need --yes. --dry-run changes nothing. --region all (or a
comma list) lists or acts in several regions at once; a region that fails is reported on stderr, the
rest is shown, and the exit status is 1 (partial). JSON keys are documented in docs/list.md.`,
    );
  },
  load: () => import('./run.js'),
};
