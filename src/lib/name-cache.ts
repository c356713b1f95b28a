// The instance names shell completion offers: ec2list keeps the names it listed here (each with when it
// was last seen), and `ec2term __complete-names` prints the recent ones. Names come from AWS tags, so
// they are untrusted: only plain words (letters, digits, . _ -) are kept, which a shell's completion
// (bash's compgen -W expands its word list) can neither split nor expand. The AWS profile names offered
// for --profile pass the same check.
import { join } from 'node:path';
import { awsConfigPath, awsCredentialsPath, readIniFile } from './config-files.js';
import { readIfExists, writeFileAtomic } from './fsutil.js';
import type { IniSections } from './inifile.js';
import { cacheDir } from './paths.js';

/** Names seen longer ago than this are no longer offered (an hour: instances come and go). */
export const NAME_CACHE_TTL_MS = 60 * 60_000;
const MAX_NAMES = 5000;
/** A word safe for every completion sink: no blanks, quotes, $, `, glob or history characters. */
export const COMPLETION_WORD = /^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/;

export function nameCachePath(env: NodeJS.ProcessEnv): string {
  return join(cacheDir(env), 'names.json');
}

type Seen = Record<string, number>;

/** Pure: the cached names still fresh at `now`, safe ones only, sorted. */
export function freshNames(seen: unknown, now: number): string[] {
  if (typeof seen !== 'object' || seen === null || Array.isArray(seen)) return [];
  return Object.entries(seen as Record<string, unknown>)
    .filter(([name, at]) => COMPLETION_WORD.test(name) && typeof at === 'number' && at <= now + 60_000 && now - at < NAME_CACHE_TTL_MS)
    .map(([name]) => name)
    .sort();
}

/** Pure: the cache after seeing `names` at `now` (expired and unsafe entries dropped). */
export function mergeNames(seen: unknown, names: (string | null | undefined)[], now: number): Seen {
  const next: Seen = {};
  for (const name of freshNames(seen, now)) next[name] = (seen as Seen)[name]!;
  for (const name of names) if (name && COMPLETION_WORD.test(name)) next[name] = now;
  const kept = Object.entries(next).sort((a, b) => b[1] - a[1]).slice(0, MAX_NAMES);
  return Object.fromEntries(kept);
}

async function load(env: NodeJS.ProcessEnv): Promise<unknown> {
  try {
    const text = await readIfExists(nameCachePath(env));
    return text === undefined ? {} : JSON.parse(text);
  } catch {
    return {}; // a damaged or odd cache is an empty one: it only helps completion
  }
}

export async function readNameCache(env: NodeJS.ProcessEnv, now: number): Promise<string[]> {
  return freshNames(await load(env), now);
}

/** Adds names to the cache; best effort (completion must never break a listing). */
export async function rememberNames(env: NodeJS.ProcessEnv, names: (string | null | undefined)[], now: number): Promise<void> {
  try {
    await writeFileAtomic(nameCachePath(env), `${JSON.stringify(mergeNames(await load(env), names, now))}\n`, 0o600);
  } catch {
    // read-only home, full disk: the listing itself matters more
  }
}

/** Pure: profile names in the AWS CLI's config ([profile X], [default]) and credentials ([X]) files. */
export function profileNamesFrom(config: IniSections | undefined, credentials: IniSections | undefined): string[] {
  const names = [
    ...[...(config?.keys() ?? [])].map((s) => (s === 'default' ? s : /^profile\s+(.+)$/.exec(s)?.[1]?.trim())),
    ...(credentials?.keys() ?? []),
  ];
  return [...new Set(names.filter((n): n is string => n !== undefined && COMPLETION_WORD.test(n)))].sort();
}

/** The AWS profiles for completing --profile; a damaged or odd file offers nothing. */
export async function awsProfileNames(env: NodeJS.ProcessEnv): Promise<string[]> {
  const read = (path: string) => readIniFile(path, env).catch(() => undefined);
  return profileNamesFrom(await read(awsConfigPath(env)), await read(awsCredentialsPath(env)));
}
