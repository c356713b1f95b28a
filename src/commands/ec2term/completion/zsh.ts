// The zsh completion script: _arguments specs built from the same model, one function per program.
import { EC2TERM_WORDS, type CompletedOption, type CompletedProgram } from './model.js';

/** Text inside an _arguments [description] or action, then the whole spec in single quotes. */
const bracket = (s: string) => s.replace(/[\\[\]:]/g, (c) => `\\${c}`);
const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

function action(o: CompletedOption): string {
  if (o.value === 'choices') return `:value:(${o.choices.join(' ')})`;
  if (o.value === 'files') return ':file:_files';
  if (o.value === 'names') return ':instance:_ec2term_names';
  if (o.value === 'profiles') return ':profile:_ec2term_profiles';
  return ':value: ';
}

function optionSpecs(o: CompletedOption): string[] {
  const takes = o.value !== 'none' && !o.optionalValue;
  const desc = `[${bracket(o.description)}]`;
  const rep = o.repeatable ? '*' : '';
  const flags = [o.long, o.short].filter((f): f is string => Boolean(f));
  // Exclusion list: the short and long spelling of one option are one option.
  const excl = !o.repeatable && flags.length > 1 ? `(${flags.join(' ')})` : '';
  return flags.map((f) => quote(`${excl}${rep}${f}${takes && f.startsWith('--') ? '=' : ''}${desc}${takes ? action(o) : ''}`));
}

function positional(p: CompletedProgram): string[] {
  switch (p.positional) {
    case 'names':
      return [quote('*:instance:_ec2term_names')];
    case 'names-then-command':
      return [quote('1:instance:_ec2term_names'), quote('*::remote command:_files')];
    case 'scp':
      return [quote('*:source or target:_ec2term_scp_words')];
    case 'ec2term':
      return [quote(`1:topic:(${Object.keys(EC2TERM_WORDS).join(' ')})`), quote('2:action:_ec2term_actions')];
    default:
      return [];
  }
}

export function zshScript(programs: CompletedProgram[]): string {
  const fns = programs.map((p) => [`_ec2term_${p.name}() {`, `  _arguments -s -S \\`, ...[...p.options.flatMap(optionSpecs), ...positional(p)].map((s) => `    ${s} \\`), '    && return 0', '}'].join('\n'));
  return `#compdef ${programs.map((p) => p.name).join(' ')}
# ec2term shell completion for zsh. Load it with:  source <(ec2term completion zsh)
# (after compinit), or install it:  ec2term completion zsh > "\${fpath[1]}/_ec2term"
_ec2term_names() {
  local -a names
  names=(\${(f)"$(command ec2term __complete-names 2>/dev/null)"})
  compadd -a names
}
_ec2term_profiles() {
  local -a profiles
  profiles=(\${(f)"$(command ec2term __complete-profiles 2>/dev/null)"})
  compadd -a profiles
}
_ec2term_scp_words() {
  local -a names
  names=(\${(f)"$(command ec2term __complete-names 2>/dev/null)"})
  compadd -S : -a names
  _files
}
_ec2term_actions() {
  case $words[2] in
${Object.entries(EC2TERM_WORDS).map(([t, a]) => `    ${t}) compadd ${a.join(' ')} ;;`).join('\n')}
  esac
}
${fns.join('\n')}
_ec2term() {
  case $service in
${programs.map((p) => `    ${p.name}) _ec2term_${p.name} ;;`).join('\n')}
  esac
}
if (( $+functions[compdef] )); then
  compdef _ec2term ${programs.map((p) => p.name).join(' ')}
fi
`;
}
