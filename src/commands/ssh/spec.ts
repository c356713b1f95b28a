import { Option } from 'commander';
import type { CommandSpec } from '../types.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];

export const spec: CommandSpec = {
  name: 'ec2ssh',
  summary: 'Log in to an EC2 instance by name, id or address, or run a command on it (like ssh)',
  usage: '[options] [user@]TARGET [command...]',
  examples: [
    'ec2ssh lab                          # login shell as the image\'s user (ubuntu, ec2-user, admin)',
    'ec2ssh ubuntu@lab.myterm.com uptime',
    "ec2ssh lab 'exit 7'; echo $?          # 7: the remote exit status passes through",
    'echo hi | ec2ssh lab cat',
    'ec2ssh --tunnel lab                 # GraphTerm on http://localhost:8900/',
    'ec2ssh -N -L 8080:localhost:80 lab',
    'ec2ssh --print lab                  # the equivalent OpenSSH command',
    'ec2ssh --ssh-config >> ~/.ssh/config',
    'ec2ssh --forget-host-key lab        # after the instance was rebuilt',
    'ec2ssh --sandbox lab',
  ],
  passThrough: true,
  configure(cmd) {
    cmd
      .argument('[args...]', '[user@]TARGET, then the remote command and its arguments')
      .option('-i, --identity <file>', 'private key file (repeatable); default: the key the instance was launched with, then ssh-agent, then ~/.ssh/id_*', collect)
      .option('-l, --login <user>', 'login user (default: tag ec2term:user, else from the image: ubuntu, ec2-user, admin)')
      .option('-p, --port <port>', 'SSH port (default: tag ec2term:ssh-port, else 22)')
      .addOption(new Option('-t', 'force a pseudo-terminal (e.g. for `ec2ssh -t lab top`)'))
      .addOption(new Option('-T', 'no pseudo-terminal'))
      .addOption(new Option('-N', 'run no remote command (just forward ports)'))
      .addOption(new Option('-n', 'read stdin from /dev/null'))
      .addOption(new Option('-L <spec>', 'forward a local port: [bind_address:]port:host:hostport (repeatable)').argParser(collect))
      .addOption(new Option('-R <spec>', 'forward a remote port: [bind_address:]port:host:hostport (repeatable)').argParser(collect))
      .addOption(
        new Option('-o <option>', 'OpenSSH-style option: ConnectTimeout, ServerAliveInterval, ServerAliveCountMax, StrictHostKeyChecking, User, Port, IdentityFile, BatchMode, RequestTTY').argParser(
          collect,
        ),
      )
      .option('--tunnel', 'forward the GraphTerm port (8900) to localhost and print the URL')
      .option('--connect-timeout <seconds>', 'give up connecting after this long (default 20)')
      .option('--keepalive <seconds>', 'send keep-alives this often; drop the connection after 3 unanswered (default 30; 0 off)')
      .option('--no-share', 'connect afresh and leave no shared connection (also EC2TERM_SHARE=0); by default a connection is kept for later runs')
      .option('--share-persist <seconds>', 'how long an idle shared connection stays (default 600; 0 = do not share)')
      .option('--accept-new', 'trust a host key on first contact WITHOUT checking it against the console output (weaker; for images that print no fingerprints)')
      .option('--forget-host-key', "remove the instance's pinned host key (after it was rebuilt) and exit")
      .option('--print', 'print the equivalent OpenSSH command (pinning the host key first) and exit')
      .option('--ssh-config', 'print ~/.ssh/config Host blocks for the named instances (default: all live ones) and exit');
    cmd.addHelpText(
      'after',
      `
Host keys are verified: on first contact the server's key must match a fingerprint in the instance's
console output; it is then pinned in ec2term's known_hosts (keyed by instance id). A changed key is
refused; clear it with --forget-host-key. Exit status: the remote command's (128+N when it was killed
by signal N), 255 when the connection fails, 1 when the instance is stopped (start it with
ec2list --start NAME), 5 when a pending instance does not start in time.`,
    );
  },
  load: () => import('./run.js'),
};
