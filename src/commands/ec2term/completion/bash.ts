// The bash completion script (also what `complete` in bash-completion packages expects): one function
// for the five programs. Instance names come from `ec2term __complete-names`, plain words only
// (src/lib/name-cache.ts), so compgen -W, which expands its word list, has nothing to expand.
import { EC2TERM_WORDS, flagsOf, type CompletedProgram } from './model.js';

const words = (list: string[]) => list.join(' ');

function programCase(p: CompletedProgram): string {
  const all = p.options.flatMap(flagsOf);
  const valued = p.options.filter((o) => o.value !== 'none' && !o.optionalValue);
  const free = valued.filter((o) => o.value === 'free').flatMap(flagsOf);
  const arms = valued.filter((o) => o.value !== 'free').map((o) => {
    const pattern = flagsOf(o).join('|');
    const action =
      o.value === 'choices' ? `COMPREPLY=($(compgen -W '${words(o.choices)}' -- "$cur"))`
      : o.value === 'files' ? 'COMPREPLY=($(compgen -f -- "$cur"))'
      : o.value === 'profiles' ? 'COMPREPLY=($(compgen -W "$(_ec2term_profiles)" -- "$cur"))'
      : 'COMPREPLY=($(compgen -W "$(_ec2term_names)" -- "$cur"))';
    return `        ${pattern}) ${action}; return 0 ;;`;
  });
  const positional = {
    names: '      COMPREPLY=($(compgen -W "$(_ec2term_names)" -- "$cur"))',
    'names-then-command': '      COMPREPLY=($(compgen -W "$(_ec2term_names)" -- "$cur"))',
    scp: '      COMPREPLY=($(compgen -S : -W "$(_ec2term_names)" -- "$cur") $(compgen -f -- "$cur"))',
    none: '      COMPREPLY=()',
    ec2term: [
      '      case $seen in',
      `        0) COMPREPLY=($(compgen -W '${words(Object.keys(EC2TERM_WORDS))}' -- "$cur")) ;;`,
      '        1) case ${first} in',
      ...Object.entries(EC2TERM_WORDS).map(([topic, actions]) => `             ${topic}) COMPREPLY=($(compgen -W '${words(actions)}' -- "$cur")) ;;`),
      '           esac ;;',
      '      esac',
    ].join('\n'),
  }[p.positional];
  return [
    `    ${p.name})`,
    `      valued='|${valued.flatMap(flagsOf).join('|')}|'`,
    '      _ec2term_count',
    ...(p.positional === 'names-then-command' ? ['      if [[ $seen -ge 1 ]]; then COMPREPLY=($(compgen -f -- "$cur")); return 0; fi'] : []),
    '      case $prev in',
    ...arms,
    ...(free.length ? [`        ${free.join('|')}) return 0 ;;`] : []),
    '      esac',
    `      if [[ $cur == -* ]]; then COMPREPLY=($(compgen -W '${words(all)}' -- "$cur")); return 0; fi`,
    positional,
    '      ;;',
  ].join('\n');
}

export function bashScript(programs: CompletedProgram[]): string {
  return `# ec2term shell completion for bash. Load it with:  source <(ec2term completion bash)
# or install it:  ec2term completion bash > ~/.local/share/bash-completion/completions/ec2term
# shellcheck disable=SC2207  # COMPREPLY=($(compgen ...)) is the bash 3 idiom; the words hold no blanks
_ec2term_names() { command ec2term __complete-names 2>/dev/null; }
_ec2term_profiles() { command ec2term __complete-profiles 2>/dev/null; }

_ec2term_complete() {
  local cur=\${COMP_WORDS[COMP_CWORD]} prev=\${COMP_WORDS[COMP_CWORD-1]} prog=\${COMP_WORDS[0]##*/}
  local valued='' seen=0 first=''
  COMPREPLY=()
  case $prog in
${programs.map(programCase).join('\n')}
  esac
  return 0
}

# Counts the words before the cursor that are not options or option values (seen), and keeps the first.
_ec2term_count() {
  local i w skip=0
  seen=0; first=''
  for ((i = 1; i < COMP_CWORD; i++)); do
    w=\${COMP_WORDS[i]}
    if [[ $skip -eq 1 ]]; then skip=0; continue; fi
    if [[ $w == -* ]]; then [[ $valued == *"|$w|"* ]] && skip=1; continue; fi
    [[ $seen -eq 0 ]] && first=$w
    seen=$((seen + 1))
  done
  return 0
}

complete -F _ec2term_complete ${programs.map((p) => p.name).join(' ')}
`;
}
