// ec2launch's security group plan, pure: one shared group per purpose for the default sources, one named
// by purpose and a hash of its rules for --allow-from sources (so a narrow group is never open wider).
import { createHash } from 'node:crypto';
import type { GraphTermRole } from '../../../lib/graphterm/userdata.js';
import { ANYWHERE, HOST_GROUP, PORTS, type IngressRule, type SecurityGroupPlan } from './types.js';

/** Pure: the purpose (shared group name, description) and rules of the group for a role and its ports. */
function groupPurpose(role: GraphTermRole, opts: { graphtermPort: boolean; acceptHosts: boolean; https?: boolean; allowFrom: string[]; defaulted: boolean }): Omit<SecurityGroupPlan, 'exact'> {
  const rules: IngressRule[] = [{ port: PORTS.ssh, cidrs: opts.allowFrom, purpose: 'ssh' }];
  if (role === 'host') return { name: 'ec2term-ssh', description: 'ec2term: ssh only (GraphTerm secondary hosts, and servers reached through an ssh tunnel)', rules };
  if (opts.graphtermPort) {
    // The original's redirect 80 -> 8900 and 81 -> 8901 (443/444 with https) and the ports themselves.
    const web = opts.https ? PORTS.https : PORTS.http;
    rules.push(
      { port: web, cidrs: opts.allowFrom, purpose: 'GraphTerm users (redirected to 8900)' },
      { port: web + 1, cidrs: opts.allowFrom, purpose: 'GraphTerm untrusted content (redirected to 8901)' },
      { port: PORTS.graphterm, cidrs: opts.allowFrom, purpose: 'GraphTerm users' },
      { port: PORTS.untrusted, cidrs: opts.allowFrom, purpose: 'GraphTerm untrusted content' },
    );
  }
  if (opts.acceptHosts) {
    rules.push({ port: PORTS.hosts, cidrs: [], fromGroup: HOST_GROUP, purpose: 'GraphTerm hosts joining' });
    rules.push({ port: PORTS.hostKeys, cidrs: [], fromGroup: HOST_GROUP, purpose: 'fleet hosts asking for their keys' });
    const ports = rules.map((r) => r.port).join(', ');
    return { name: 'ec2term-graphterm-primary', description: `ec2term: GraphTerm server that secondary hosts join (${ports})`, rules };
  }
  if (!opts.graphtermPort) return { name: 'ec2term-ssh', description: 'ec2term: ssh only (GraphTerm reached through an ssh tunnel)', rules };
  return { name: 'ec2term-graphterm-server', description: `ec2term: GraphTerm server (${rules.map((r) => r.port).join(', ')})`, rules };
}

/** Pure: "22 from a,b; 8900 from a" with the sources sorted, so the same rules always read (and hash) the same. */
export function rulesKey(rules: IngressRule[]): string {
  return rules.map((r) => `${r.port} from ${r.fromGroup ? `group ${r.fromGroup}` : [...r.cidrs].sort().join(',')}`).join('; ');
}

/**
 * Pure: the security group for a role and its ports. The default sources share one group per purpose
 * (e.g. ec2term-graphterm-server); other sources get a group of their own, named by purpose and a hash
 * of the rules (ec2term-graphterm-server-1a2b3c4d), so --allow-from never shares a group open wider
 * and launches with the same sources share one.
 */
export function securityGroupFor(role: GraphTermRole, opts: { graphtermPort: boolean; acceptHosts: boolean; https?: boolean; allowFrom: string[]; defaulted: boolean }): SecurityGroupPlan {
  const purpose = groupPurpose(role, opts);
  const shared = groupPurpose(role, { ...opts, allowFrom: [ANYWHERE], defaulted: true });
  const key = rulesKey(purpose.rules);
  if (key === rulesKey(shared.rules)) return { ...purpose, exact: false };
  const hash = createHash('sha256').update(key).digest('hex').slice(0, 8);
  // EC2 allows 255 characters of a-z A-Z 0-9 and " ._-:/()#,@[]+=&;{}!$*" in a description.
  const description = `${purpose.description} from ${[...new Set(purpose.rules.flatMap((r) => r.cidrs))].sort().join(' ')}`;
  return { ...purpose, name: `${purpose.name}-${hash}`, description: description.length > 255 ? `${description.slice(0, 252)}...` : description, exact: true };
}
