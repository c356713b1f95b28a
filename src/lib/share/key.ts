// Which shared connection a run may use: the AWS scope it looks names up in and the words that name the
// target. One definition for the full path (src/commands/ssh/shared.ts) and the fast entry (fast.ts).
// Light on purpose (node:crypto, node:path, target.ts's flag check): the fast entry loads it before anything else.
import { localTargetIdentity, localTargetRequested } from '../target.js';
import { keyOf } from './paths.js';

export interface ScopeInput {
  region?: string;
  profile?: string;
  endpointUrl?: string;
  /** The local target (target.ts) instead of AWS. */
  local?: boolean;
}

/** Pure: the parts of the AWS scope a name is looked up in (the local target and which one, region, profile, endpoint). */
export function shareScope(g: ScopeInput, env: NodeJS.ProcessEnv): string[] {
  return [
    localTargetRequested(g.local, env) ? `local:${localTargetIdentity(env)}` : 'aws',
    g.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? '',
    g.profile ?? env.AWS_PROFILE ?? '',
    g.endpointUrl ?? env.AWS_ENDPOINT_URL_EC2 ?? env.AWS_ENDPOINT_URL ?? '',
  ];
}

/** Pure: the name cache key for a target as the user wrote it. */
export function nameKeyFor(scope: string[], t: { target: string; user?: string; port?: number; identityFiles: string[] }): string {
  return keyOf([...scope, t.target, t.user ?? '', t.port ?? '', t.identityFiles]);
}

/** Pure: does the environment turn sharing off (EC2TERM_SHARE=0/no/false/off)? */
export function shareOffInEnv(env: NodeJS.ProcessEnv): boolean {
  return /^(0|no|false|off)$/i.test(env.EC2TERM_SHARE ?? '');
}
