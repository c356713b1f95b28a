// Is the sandbox asked for (--sandbox or EC2TERM_SANDBOX)? Its own tiny module: the shared-connection
// fast path (src/lib/share/key.ts) needs it before anything of aws.ts is loaded.
export function sandboxRequested(flag: boolean | undefined, env: NodeJS.ProcessEnv): boolean {
  return Boolean(flag) || env.EC2TERM_SANDBOX === '1' || env.EC2TERM_SANDBOX === 'true';
}
