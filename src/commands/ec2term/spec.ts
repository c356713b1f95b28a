import type { CommandSpec } from '../types.js';

export const spec: CommandSpec = {
  name: 'ec2term',
  summary: 'Manage the embedded sandbox: a local EC2 + Route 53 + SSH world for trying ec2term without AWS',
  usage: 'sandbox start|status|stop|reset|env | completion bash|zsh|fish',
  examples: [
    'source <(ec2term completion bash)   # tab completion of flags and instance names (docs: README)','ec2term sandbox start', 'ec2term sandbox status', 'eval "$(ec2term sandbox env)"   # point awscli at the sandbox', 'ec2term sandbox reset --yes', 'ec2term sandbox stop'],
  readsSettings: false,
  configure(cmd) {
    cmd.argument('<topic>', '"sandbox", or "completion" for a shell completion script').argument('[action]', 'sandbox: start, status, stop, reset or env; completion: bash, zsh or fish');
    cmd.option('-y, --yes', 'reset without asking');
  },
  load: () => import('./run.js'),
};
