// What shell completion knows about each program, read from the commander programs the runner builds
// from the specs: the flags can never drift from the real ones. Only the value kinds (names, files)
// are told here, by flag.
import type { Command, Option } from 'commander';

export type ValueKind = 'none' | 'free' | 'choices' | 'files' | 'names' | 'profiles';

export interface CompletedOption {
  long?: string;
  short?: string;
  description: string;
  value: ValueKind;
  /** The value may be left out (--stop [NAME...]). */
  optionalValue: boolean;
  choices: string[];
  /** Given more than once (--tag, -L, -i). */
  repeatable: boolean;
}

/** How the words that are not options are completed. */
export type Positional = 'names' | 'names-then-command' | 'scp' | 'none' | 'ec2term';

export interface CompletedProgram {
  name: string;
  options: CompletedOption[];
  positional: Positional;
}

/** Flags whose values are instance names or local files. */
const NAME_FLAGS = new Set(['--stop', '--start', '--terminate', '--snapshot', '--connect-to']);
const FILE_FLAGS = new Set(['--identity', '--import-key', '--oauth-file', '--copy']);
const POSITIONAL: Record<string, Positional> = {
  ec2launch: 'none',
  ec2list: 'names',
  ec2ssh: 'names-then-command',
  ec2scp: 'scp',
  ec2term: 'ec2term',
};

/** ec2term's own words: TOPIC then ACTION. */
export const EC2TERM_WORDS: Record<string, string[]> = {
  sandbox: ['start', 'status', 'stop', 'reset', 'env'],
  completion: ['bash', 'zsh', 'fish'],
};

function valueKind(o: Option): ValueKind {
  if (!o.required && !o.optional) return 'none';
  if (o.argChoices?.length) return 'choices';
  if (o.long && NAME_FLAGS.has(o.long)) return 'names';
  if (o.long === '--profile') return 'profiles';
  if (o.long && FILE_FLAGS.has(o.long)) return 'files';
  return 'free';
}

/** Pure: the completion model of one commander program. */
export function completedProgram(cmd: Command): CompletedProgram {
  const options: CompletedOption[] = cmd.options
    .filter((o) => !o.hidden)
    .map((o) => ({
      long: o.long,
      short: o.short,
      description: o.description.replace(/\s+/g, ' ').trim(),
      value: valueKind(o),
      optionalValue: Boolean(o.optional),
      choices: o.argChoices ? [...o.argChoices] : [],
      repeatable: Boolean(o.variadic || o.parseArg),
    }));
  options.push({ long: '--help', short: '-h', description: 'show this help', value: 'none', optionalValue: false, choices: [], repeatable: false });
  return { name: cmd.name(), options, positional: POSITIONAL[cmd.name()] ?? 'none' };
}

/** The flags of an option, long and short. */
export function flagsOf(o: CompletedOption): string[] {
  return [o.long, o.short].filter((f): f is string => Boolean(f));
}
