// Shell completion: `ec2term completion bash|zsh|fish` loads in the real shells, offers every flag of the
// five programs (built from the specs, so never drifting), and completes instance names from the cache
// ec2list writes, which holds untrusted names: only plain words ever reach the shell.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { before, describe, it } from 'node:test';
import { buildProgram, loadSpec, PROGRAMS } from '../../src/cli.js';
import { parseIni } from '../../src/lib/inifile.js';
import { freshNames, mergeNames, NAME_CACHE_TTL_MS, nameCachePath, profileNamesFrom } from '../../src/lib/name-cache.js';
import { runInProcess } from '../helpers/inprocess.js';
import { addInstance, memoryDeps, memoryWorld } from '../helpers/memory-aws.js';
import { BIN, cleanEnv, runBin, tempHome } from '../helpers/run.js';

const shell = (name: string) => ['/usr/bin', '/bin'].map((d) => join(d, name)).find(existsSync);
const NOW = Date.UTC(2026, 0, 10);

describe('the name cache', () => {
  it('keeps plain words seen within the hour, drops the rest', () => {
    const seen = {
      lab: NOW - 1000,
      'web.example.com': NOW - NAME_CACHE_TTL_MS + 1,
      old: NOW - NAME_CACHE_TTL_MS,
      '$(touch pwned)': NOW,
      '`id`': NOW,
      'a b': NOW,
      '*': NOW,
      '--help': NOW,
      'lab;rm': NOW,
      'x\ny': NOW,
      'x:y': NOW,
      future: NOW + 3_600_000,
      notATime: 'yesterday',
    };
    assert.deepEqual(freshNames(seen, NOW), ['lab', 'web.example.com']);
    for (const junk of [null, [], 'x', 42]) assert.deepEqual(freshNames(junk, NOW), []);
  });
  it('merges a listing into it', () => {
    const next = mergeNames({ lab: NOW - 5000, gone: NOW - NAME_CACHE_TTL_MS - 1 }, ['web', null, 'bad name', 'lab'], NOW);
    assert.deepEqual(next, { web: NOW, lab: NOW });
  });
});

describe('profile names for --profile', () => {
  it('come from the AWS config and credentials files, plain words only', () => {
    const config = parseIni('[default]\nregion = x\n[profile work]\n[profile $(id)]\n[sso-session corp]\n');
    const credentials = parseIni('[home]\n[work]\n[a b]\n');
    assert.deepEqual(profileNamesFrom(config, credentials), ['default', 'home', 'work']);
    assert.deepEqual(profileNamesFrom(undefined, undefined), []);
  });
});

describe('ec2term completion', () => {
  const home = tempHome();
  const env = cleanEnv({ HOME: home, PATH: `${BIN}:${process.env.PATH}` });
  const scripts: Record<string, string> = {};
  let flags: Record<string, string[]>;

  before(async () => {
    // ec2list writes the names it lists; hostile names are in the world too (tags are untrusted).
    const world = memoryWorld();
    for (const name of ['lab', 'web.example.com', '$(touch PWNED)', 'a b', '*']) addInstance(world, name);
    mkdirSync(join(home, '.aws'), { recursive: true });
    writeFileSync(join(home, '.aws', 'config'), '[default]\n[profile work]\n[profile `touch PWNED`]\n');
    const listed = await runInProcess('ec2list', [], { env: { HOME: home }, deps: memoryDeps(world) });
    assert.equal(listed.code, 0, listed.stderr);
    assert.ok(existsSync(nameCachePath({ HOME: home })));
    for (const s of ['bash', 'zsh', 'fish']) {
      const r = await runBin('ec2term', ['completion', s], { env: { HOME: home } });
      assert.equal(r.code, 0, r.stderr);
      scripts[s] = r.stdout;
      // The per-case shells below source this copy; one check per shell loads it from ec2term itself.
      writeFileSync(join(home, `completion.${s}`), r.stdout);
    }
    const io = { stdin: new PassThrough(), stdout: new PassThrough(), stderr: new PassThrough(), env: {}, interactive: false, stdoutIsTTY: false, stderrIsTTY: false, columns: () => 80 };
    flags = Object.fromEntries(await Promise.all(PROGRAMS.map(async (p) => [p, buildProgram(await loadSpec(p), io).options.filter((o) => !o.hidden).map((o) => o.long ?? o.short!)] as const)));
  });

  it('__complete-names prints the cached names that are plain words', async () => {
    const r = await runBin('ec2term', ['__complete-names'], { env: { HOME: home } });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'lab\nweb.example.com\n');
  });

  it('offers every flag of every program (read from the specs)', () => {
    for (const [program, list] of Object.entries(flags)) {
      for (const flag of list) {
        assert.ok(scripts.bash!.includes(` ${flag} `) || scripts.bash!.includes(`'${flag} `), `bash: ${program} ${flag}`);
        assert.ok(scripts.zsh!.includes(`${flag}[`) || scripts.zsh!.includes(`${flag}=[`), `zsh: ${program} ${flag}`);
        const fish = flag.startsWith('--') ? `-l ${flag.slice(2)}` : `-s ${flag.slice(1)}`;
        assert.ok(scripts.fish!.includes(`complete -c ${program} ${fish}`) || scripts.fish!.includes(`complete -c ${program} -l`) , `fish: ${program} ${flag}`);
      }
    }
  });

  it('refuses an unknown shell (exit 2)', async () => {
    for (const args of [['completion'], ['completion', 'tcsh']]) {
      const r = await runBin('ec2term', args);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /^ec2term: completion for which shell\? expected bash, zsh, fish/);
    }
  });

  it('bash: loads, completes flags, choices, names and files; hostile names never run', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'ec2term-compl-'));
    writeFileSync(join(cwd, 'notes.txt'), '');
    const complete = (words: string[]) => {
      const line = `source ${join(home, 'completion.bash')} && COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}) && COMP_CWORD=${words.length - 1} && _ec2term_complete && printf '%s\\n' "\${COMPREPLY[@]}"`;
      const r = spawnSync('bash', ['-c', line], { env, cwd, encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      return r.stdout.split('\n').filter(Boolean);
    };
    const cases: [string[], string[]][] = [
      [['ec2list', '--so'], ['--sort']],
      [['ec2list', '--sort', 'e'], ['expires']],
      [['ec2list', '--output', 't'], ['text', 'tsv', 'table']],
      [['ec2list', ''], ['lab', 'web.example.com']],
      [['ec2list', '--terminate', 'w'], ['web.example.com']],
      [['ec2list', '--profile', ''], ['default', 'work']],
      [['ec2ssh', 'l'], ['lab']],
      [['ec2ssh', 'lab', 'not'], ['notes.txt']],
      [['ec2scp', 'w'], ['web.example.com:']],
      [['ec2scp', 'no'], ['notes.txt']],
      [['ec2launch', '--wait', 'r'], ['running', 'ready']],
      [['ec2launch', '--connect-to', 'l'], ['lab']],
      [['ec2launch', '--import-key', 'no'], ['notes.txt']],
      [['ec2launch', '--type', ''], []],
      [['ec2launch', '--ta'], ['--tag']],
      [['ec2term', ''], ['sandbox', 'completion']],
      [['ec2term', 'sandbox', 's'], ['start', 'status', 'stop']],
      [['ec2term', 'completion', ''], ['bash', 'zsh', 'fish']],
    ];
    for (const [words, want] of cases) assert.deepEqual(complete(words), want, words.join(' '));
    assert.ok(!existsSync(join(cwd, 'PWNED')), 'a name from AWS is never expanded');
    const registered = spawnSync('bash', ['-c', 'source <(ec2term completion bash) && complete -p'], { env, encoding: 'utf8' }).stdout;
    for (const p of PROGRAMS) assert.match(registered, new RegExp(`complete -F _ec2term_complete .*${p}`));
  });

  it('bash: the script passes shellcheck', { skip: !shell('shellcheck') && 'shellcheck not installed' }, () => {
    const r = spawnSync('shellcheck', ['-s', 'bash', '-'], { input: scripts.bash, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stdout);
  });

  it('zsh: loads after compinit and registers all five programs', { skip: !shell('zsh') && 'zsh not installed (.ci/run installs it)' }, () => {
    const dump = join(mkdtempSync(join(tmpdir(), 'ec2term-zsh-')), 'zcompdump');
    const probe = `autoload -Uz compinit && compinit -u -d ${dump} && source <(ec2term completion zsh) && for p in ${PROGRAMS.join(' ')}; do print -r -- "$p=$_comps[$p]"; whence -w _ec2term_$p; done && _ec2term_names() { print -l -- "$(command ec2term __complete-names)"; } && _ec2term_names`;
    const r = spawnSync('zsh', ['-f', '-c', probe], { env, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    for (const p of PROGRAMS) {
      assert.match(r.stdout, new RegExp(`^${p}=_ec2term$`, 'm'));
      assert.match(r.stdout, new RegExp(`^_ec2term_${p}: function$`, 'm'));
    }
    assert.match(r.stdout, /^lab\nweb\.example\.com$/m);
    assert.equal(spawnSync('zsh', ['-n'], { input: scripts.zsh, encoding: 'utf8' }).status, 0, 'zsh -n');
  });

  it('zsh: completes flags, choices and names in a real line editor (zpty)', { skip: !shell('zsh') && 'zsh not installed (.ci/run installs it)' }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'ec2term-zpty-'));
    writeFileSync(join(dir, 'c.zsh'), scripts.zsh!);
    // Types the line and a TAB into an interactive zsh on a pseudo-terminal; compadd is wrapped to print
    // each match. Waits on markers the shell prints, never on time.
    writeFileSync(
      join(dir, 'capture.zsh'),
      [
        'zmodload zsh/zpty',
        'zpty z zsh -f -i',
        `zpty -w z "PS1='' PROMPT='' RPROMPT=''; autoload -Uz compinit; compinit -u -d ${dir}/zcompdump; source ${dir}/c.zsh"`,
        `zpty -w z 'bindkey "^I" complete-word; compadd() { builtin compadd -O __m "$@"; local m; for m in $__m; do print -r -- "<<$m>>" > /dev/tty; done; builtin compadd "$@"; }'`,
        // Markers come from the line editor itself, once it reads keys (never from the echo of typed text):
        // READY when the first prompt's line editor starts, DONE from a key typed after the TAB.
        String.raw`zpty -w z 'zle-line-init() { [[ -n $__ready ]] || { __ready=1; print -r -- "<""READY>" > /dev/tty; }; }; zle -N zle-line-init; __done() { print -r -- "<""DONE>" > /dev/tty; }; zle -N __done; bindkey "^X" __done'`,
        "zpty -r z line '*<READY>*'",
        String.raw`zpty -w -n z "$1"$'\t\C-x'`,
        "out=''",
        "while zpty -r z line; do out+=$line; [[ $line == *'<DONE>'* ]] && break; done",
        `print -r -- "$out" | grep -o '<<[^>]*>>' | sort -u`,
        'zpty -d z',
      ].join('\n'),
    );
    const complete = (line: string) => {
      const r = spawnSync('zsh', ['-f', join(dir, 'capture.zsh'), line], { env, encoding: 'utf8', timeout: 30_000 });
      assert.equal(r.status, 0, r.stderr);
      return r.stdout.split('\n').filter(Boolean).map((l) => l.slice(2, -2)).filter(Boolean).sort();
    };
    const cases: [string, string[]][] = [
      ['ec2list --so', ['--sort']],
      ['ec2list --sort e', ['expires']],
      ['ec2list --output=t', ['table', 'text', 'tsv']],
      ['ec2ssh l', ['lab']],
      ['ec2scp w', ['web.example.com']],
      ['ec2launch --wait r', ['ready', 'running']],
      ['ec2launch --ta', ['--tag']],
      ['ec2list --profile w', ['work']],
      ['ec2term completion ', ['bash', 'fish', 'zsh']],
    ];
    for (const [line, want] of cases) assert.deepEqual(complete(line), want, line);
  });

  it('fish: completes flags with descriptions, choices and names', { skip: !shell('fish') && 'fish not installed (.ci/run installs it)' }, () => {
    const config = mkdtempSync(join(tmpdir(), 'ec2term-fish-'));
    mkdirSync(join(config, 'fish'), { recursive: true });
    const complete = (line: string) => {
      const r = spawnSync('fish', ['--no-config', '-c', `source ${join(home, 'completion.fish')}; complete -C ${JSON.stringify(line)}`], { env: { ...env, XDG_CONFIG_HOME: config }, encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      return r.stdout.split('\n').filter(Boolean).map((l) => l.split('\t')[0]);
    };
    const cases: [string, string[]][] = [
      ['ec2list --so', ['--sort']],
      ['ec2list --sort e', ['expires']],
      ['ec2ssh l', ['lab']],
      ['ec2scp w', ['web.example.com:']],
      ['ec2launch --wait r', ['ready', 'running']],
      ['ec2ssh --profile w', ['work']],
      ['ec2term completion ', ['bash', 'fish', 'zsh']],
    ];
    for (const [line, want] of cases) assert.deepEqual(complete(line).sort(), want.sort(), line);
    const described = spawnSync('fish', ['--no-config', '-c', 'ec2term completion fish | source; complete -C "ec2launch --ta"'], { env, encoding: 'utf8' }).stdout;
    assert.match(described, /^--tag\tan extra tag on the instance/m);
  });
});
