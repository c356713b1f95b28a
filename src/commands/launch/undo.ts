// Undo after a failed or interrupted launch: removes what this run created, newest first (DNS records,
// instances, then the groups and key pair once no other instance uses them), retrying through throttling;
// a hosted zone made with --create-zone stays. Returns lines saying what was removed and what was kept.
import { fromAwsError } from '../../lib/errors.js';
import { CLEANUP_RETRY_MS, persistentCleanup, waitForInstanceState } from '../../lib/wait.js';
import { shellQuote } from '../../lib/shellquote.js';
import { deleteKeyPair } from './keypairs.js';
import type { Created } from './launcher.js';
import type { LaunchDeps } from './preflight.js';
import { deleteSecurityGroup } from './security-groups.js';
import { LaunchWrites } from './writes.js';

/** Removes what this run created, newest first. Returns lines saying what was removed and what was kept. */
export async function undoLaunch(created: Created, deps: LaunchDeps, keep: boolean): Promise<string[]> {
  const lines: string[] = [];
  const { ec2, dns } = deps.cleanup;
  const writes = new LaunchWrites(ec2, false);
  const c = created;
  const groupLabel = c.group && `security group ${c.group.name} (${c.group.id})`;
  const keyPairLabel = c.keyPair && `key pair ${c.keyPair.keyName}${c.keyPair.keyFile && c.keyPair.wroteKeyFile ? ` and ${c.keyPair.keyFile}` : ''}`;
  const ec2list = `ec2list${deps.aws.local ? ` ${deps.aws.local.flag}` : ''}`;
  if (keep) {
    for (const i of c.instances) lines.push(`kept instance ${i.id} (${i.name ?? ''}) (--keep-on-failure; remove it with: ${ec2list} --terminate ${i.id})`);
    for (const r of c.records) lines.push(`kept DNS record ${r.name}`);
    if (groupLabel) lines.push(`kept ${groupLabel}`);
    for (const g of c.sourceGroups) lines.push(`kept security group ${g.name} (${g.id})`);
    if (keyPairLabel) lines.push(`kept ${keyPairLabel}`);
    if (c.zone) lines.push(`kept hosted zone ${c.zone.name} (${c.zone.id})`);
    return lines;
  }
  // Cleanup outlasts throttling and 5xx that beat the SDK's own attempts: an orphan costs more than a wait.
  const clock = deps.ctx.clock;
  const persist = persistentCleanup({ clock, budgetMs: CLEANUP_RETRY_MS, warn: (t) => deps.ctx.out.warn(t) });
  for (const r of [...c.records].reverse()) {
    try {
      const outcome = await persist(`removing DNS record ${r.name}`, () => dns!.deleteRecordIfPointsAt(r.zoneId, r.name, r.values));
      lines.push(outcome.deleted ? `removed DNS record ${r.name}` : `left DNS record ${r.name} (${outcome.reason})`);
    } catch (err) {
      lines.push(`could NOT remove DNS record ${r.name}: ${fromAwsError(err).message} (remove it in the Route 53 console, hosted zone ${r.zoneId})`);
    }
  }
  const ids = c.instances.map((i) => i.id);
  let terminated = false;
  if (ids.length) {
    try {
      await persist(`terminating ${ids.join(', ')}`, () => ec2.terminate(ids));
      terminated = true;
      lines.push(`terminated instance${ids.length > 1 ? 's' : ''} ${ids.join(', ')}`);
    } catch (err) {
      lines.push(`could NOT terminate ${ids.join(', ')}: ${fromAwsError(err).message} (remove with: ${ec2list} --terminate ${ids.join(' ')})`);
    }
  }
  // Key pair and group are shared: a concurrent run may have adopted what this run created and launched
  // with it. Those stay (and say why); deleting the key pair would cut that instance's SSH access. When
  // that cannot be checked, they stay too.
  type Users = { others: string[] } | { unknown: string };
  const usersOf = async (what: string, filter: string, value: string): Promise<Users> => {
    try {
      const found = await persist(`checking which instances use the ${what}`, () => ec2.describeInstances({ filters: [{ Name: filter, Values: [value] }] }));
      return { others: found.filter((i) => !ids.includes(i.id) && i.state !== 'shutting-down' && i.state !== 'terminated').map((i) => i.id) };
    } catch (err) {
      return { unknown: fromAwsError(err).message };
    }
  };
  const kept = (what: string, users: Users, removeWith: string): string | undefined => {
    if ('unknown' in users) return `kept ${what}: could not check whether another instance uses it (${users.unknown}); if none does, remove it with: ${removeWith}`;
    const { others } = users;
    if (others.length === 0) return undefined;
    return `kept ${what}: ${others.length === 1 ? 'another instance uses' : `${others.length} other instances use`} it (${others.slice(0, 3).join(', ')}${others.length > 3 ? ', ...' : ''})`;
  };
  // The AWS CLI command that removes a leftover, aimed at the same endpoint (never a real account by mistake).
  const endpoint = deps.aws.endpoints.ec2;
  const awsCli = `aws ec2 --region ${ec2.region}${endpoint ? ` --endpoint-url ${endpoint}` : ''}`;
  if (c.group?.id) {
    const groupId = c.group.id;
    const removeWith = `${awsCli} delete-security-group --group-id ${groupId}`;
    const keep = !terminated && ids.length > 0
      ? `kept ${groupLabel!}: its instance is not terminated; once it is, remove it with: ${removeWith}`
      : kept(groupLabel!, await usersOf('security group', 'instance.group-id', groupId), removeWith);
    if (keep) lines.push(keep);
    else {
      try {
        // The group can go once no instance uses it (terminated).
        for (const id of ids) {
          await persist(`waiting for ${id} to terminate`, () => waitForInstanceState(ec2, id, ['terminated'], { clock, timeoutMs: 10 * 60_000 })).catch(() => undefined);
        }
        await persist(`removing ${groupLabel!}`, () => deleteSecurityGroup(writes, groupId, { sleep: (ms) => clock.sleep(ms) }));
        lines.push(`removed ${groupLabel}`);
      } catch (err) {
        lines.push(`could NOT remove ${groupLabel}: ${fromAwsError(err).message} (remove it with: ${removeWith})`);
      }
    }
  }
  for (const g of c.sourceGroups) {
    const label = `security group ${g.name} (${g.id})`;
    try {
      await persist(`removing ${label}`, () => deleteSecurityGroup(writes, g.id!, { sleep: (ms) => clock.sleep(ms), attempts: 5 }));
      lines.push(`removed ${label}`);
    } catch (err) {
      lines.push(`could NOT remove ${label}: ${fromAwsError(err).message} (remove it with: ${awsCli} delete-security-group --group-id ${g.id})`);
    }
  }
  if (c.keyPair) {
    const keyName = c.keyPair.keyName;
    const keyFile = c.keyPair.wroteKeyFile ? c.keyPair.keyFile : undefined;
    const removeWith = `${awsCli} delete-key-pair --key-name ${shellQuote(keyName)}${keyFile ? ` && rm ${shellQuote(keyFile)}` : ''}`;
    const keep = kept(keyPairLabel!, await usersOf('key pair', 'key-name', keyName), removeWith);
    if (keep) lines.push(keep);
    else {
      try {
        await persist(`removing ${keyPairLabel!}`, () => deleteKeyPair(writes, keyName, keyFile));
        lines.push(`removed ${keyPairLabel}`);
      } catch (err) {
        lines.push(`could NOT remove key pair ${keyName}: ${fromAwsError(err).message} (remove it with: ${removeWith})`);
      }
    }
  }
  if (c.zone) lines.push(`kept hosted zone ${c.zone.name} (${c.zone.id}): you asked for it with --create-zone and may have delegated it already`);
  return lines;
}
