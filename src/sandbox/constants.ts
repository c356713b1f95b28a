// Facts about the embedded sandbox shared by the CLI (client side) and the sandbox server.
// Kept free of heavy imports: the CLI reads it on every --sandbox run.
import { homedir } from 'node:os';
import { join } from 'node:path';

// Its credentials are not here: each sandbox makes its own (private.ts, secrets.json in its folder).
export const SANDBOX_DEFAULT_REGION = 'us-east-1';
/** Regions the sandbox answers for (DescribeRegions). */
export const SANDBOX_REGIONS = ['us-east-1', 'us-east-2', 'us-west-1', 'us-west-2', 'eu-west-1', 'eu-central-1', 'ap-southeast-2'];

/** The login user on every sandbox instance (its home, its SSH sessions, its GraphTerm). */
export const INSTANCE_USER = 'ubuntu';

/** Where the sandbox keeps its state: $EC2TERM_SANDBOX_DIR, else $XDG_STATE_HOME/ec2term/sandbox, else ~/.local/state/ec2term/sandbox. */
export function sandboxDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.EC2TERM_SANDBOX_DIR) return env.EC2TERM_SANDBOX_DIR;
  const base = env.XDG_STATE_HOME || join(env.HOME || homedir(), '.local', 'state');
  return join(base, 'ec2term', 'sandbox');
}
