// The fish completion script: `complete` lines built from the same model.
import { EC2TERM_WORDS, type CompletedOption, type CompletedProgram } from './model.js';

const quote = (s: string) => `'${s.replace(/[\\']/g, (c) => `\\${c}`)}'`;

function optionLine(program: string, o: CompletedOption): string {
  const parts = [`complete -c ${program}`];
  if (o.long) parts.push(`-l ${o.long.slice(2)}`);
  if (o.short) parts.push(`-s ${o.short.slice(1)}`);
  if (o.value !== 'none' && !o.optionalValue) {
    if (o.value === 'files') parts.push('-r -F');
    else parts.push('-x');
    if (o.value === 'choices') parts.push(`-a ${quote(o.choices.join(' '))}`);
    if (o.value === 'names') parts.push("-a '(__ec2term_names)'");
    if (o.value === 'profiles') parts.push("-a '(command ec2term __complete-profiles 2>/dev/null)'");
  }
  parts.push(`-d ${quote(o.description)}`);
  return parts.join(' ');
}

function positional(p: CompletedProgram): string[] {
  const c = `complete -c ${p.name}`;
  switch (p.positional) {
    case 'names':
      return [`${c} -f -a '(__ec2term_names)'`];
    case 'names-then-command':
      return [`${c} -f -n '__ec2term_first_word' -a '(__ec2term_names)'`];
    case 'scp':
      return [`${c} -a '(__ec2term_names | string replace -r -- "\\$" ":")'`];
    case 'ec2term':
      return [
        `${c} -f -n '__fish_use_subcommand' -a ${quote(Object.keys(EC2TERM_WORDS).join(' '))}`,
        ...Object.entries(EC2TERM_WORDS).map(([t, a]) => `${c} -f -n '__fish_seen_subcommand_from ${t}' -a ${quote(a.join(' '))}`),
      ];
    default:
      return [`${c} -f`];
  }
}

export function fishScript(programs: CompletedProgram[]): string {
  return `# ec2term shell completion for fish. Load it with:  ec2term completion fish | source
# or install it:  ec2term completion fish > ~/.config/fish/completions/ec2term.fish
function __ec2term_names
    command ec2term __complete-names 2>/dev/null
end
# True while no word but options has been typed (ec2ssh: the target, then the remote command).
function __ec2term_first_word
    set -l words (commandline -opc)
    for w in $words[2..-1]
        string match -q -- '-*' $w; or return 1
    end
    return 0
end
${programs.flatMap((p) => [...p.options.map((o) => optionLine(p.name, o)), ...positional(p)]).join('\n')}
`;
}
