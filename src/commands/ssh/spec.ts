import { Option } from 'commander';
import { addAccessOptions } from '../../lib/access/options.js';
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
    'ec2ssh -J bastion lab               # through the instance "bastion"',
    'ec2ssh -D 1080 -N lab               # a SOCKS proxy whose connections leave from lab',
    'ec2ssh -f -N -L 8080:localhost:80 lab  # forward in the background',
    'ec2ssh --ssh-config                 # ~/.ssh/config.d/ec2term + Include: then plain `ssh lab`',
    'ec2ssh --forget-host-key lab        # after the instance was rebuilt',
    'ec2ssh --instance-connect lab       # a one-time key pushed by EC2 Instance Connect',
    'ec2ssh --via eice private-lab       # through an EC2 Instance Connect Endpoint',
    'ec2ssh --address-type ipv6 lab',
  ],
  passThrough: true,
  configure(cmd) {
    cmd
      .argument('[args...]', '[user@]TARGET, then the remote command and its arguments')
      .option('-i, --identity <file>', 'private key file (repeatable); default: the key the instance was launched with, then ssh-agent, then ~/.ssh/id_*', collect)
      .option('-l, --login <user>', 'login user (default: tag ec2term:user, else from the image: ubuntu, ec2-user, admin)')
      .option('-p, --port <port>', 'SSH port (default: tag ec2term:ssh-port, else 22)')
      .addOption(new Option('-4', 'IPv4 addresses only (AddressFamily inet)'))
      .addOption(new Option('-6', 'IPv6 addresses only (AddressFamily inet6)'))
      .addOption(new Option('-A', 'forward the SSH agent (SSH_AUTH_SOCK) to the instance'))
      .addOption(new Option('-a', 'do not forward the agent (the default)'))
      .addOption(new Option('-C', 'compress the connection (zlib)'))
      .addOption(new Option('-J <jump>', 'go through these instances first: NAME[,NAME...] ([user@]NAME[:port]; ProxyJump)'))
      .addOption(new Option('-D <spec>', 'a SOCKS 4/5 proxy here: [bind_address:]port; connections are opened from the instance (repeatable)').argParser(collect))
      .addOption(new Option('-W <host:port>', 'connect stdin and stdout to host:port as seen from the instance (for ProxyCommand)'))
      .addOption(new Option('-f', 'go to the background once logged in (with a command or -N; implies -n)'))
      .addOption(new Option('-F <file>', 'read options for TARGET from this ssh_config file ("none": no file)'))
      .addOption(new Option('-e <char>', 'escape character for ~. ~? ~# ~^Z ~R (default ~; ^X notation; "none")'))
      .addOption(new Option('-X', 'forward X11 (DISPLAY; the real cookie stays here)'))
      .addOption(new Option('-Y', 'forward X11, trusted (same as -X in ec2ssh, as with ForwardX11Trusted yes)'))
      .addOption(new Option('-x', 'no X11 forwarding (the default)'))
      .addOption(new Option('-t', 'force a pseudo-terminal (e.g. for `ec2ssh -t lab top`)'))
      .addOption(new Option('-T', 'no pseudo-terminal'))
      .addOption(new Option('-N', 'run no remote command (just forward ports)'))
      .addOption(new Option('-n', 'read stdin from /dev/null'))
      .addOption(new Option('-L <spec>', 'forward a local port: [bind_address:]port:host:hostport (repeatable)').argParser(collect))
      .addOption(new Option('-R <spec>', 'forward a remote port: [bind_address:]port:host:hostport (repeatable)').argParser(collect))
      .addOption(
        new Option('-o <option>', 'OpenSSH option Key=Value (repeatable; first value wins; the supported keys are in docs/ssh.md; unknown keys are an error)').argParser(
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
      .option('--ssh-config', 'write Host blocks for the named instances (default: all live ones) to ~/.ssh/config.d/ec2term, Include it from ~/.ssh/config, and exit')
      .option('--dry-run', 'with --ssh-config: print the file instead of writing anything')
      .option('--stdio <name>', 'carry the instance\'s SSH port on stdin/stdout, looked up now (ProxyCommand ec2ssh --stdio ID, as --ssh-config writes)');
    addAccessOptions(cmd);
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
