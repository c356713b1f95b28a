// Settings: flag > environment > config file > built-in, defined once in src/lib/settings.ts. The table is
// the specification; the in-process runs show the runner applying it, and naming the file and key of a
// bad value in one line (exit 2) before any AWS request.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { UsageError } from '../../src/lib/errors.js';
import { parseIni } from '../../src/lib/inifile.js';
import { checkConfigKeys, configFilePath, resolveSetting, SETTINGS, type ConfigFile, type SettingDef } from '../../src/lib/settings.js';
import { runInProcess } from '../helpers/inprocess.js';
import { addInstance, memoryDeps, memoryWorld } from '../helpers/memory-aws.js';
import { ROOT, tempHome } from '../helpers/run.js';

const def = (section: string, key: string): SettingDef => SETTINGS.find((s) => s.section === section && s.key === key)!;
const config = (text: string): ConfigFile => ({ path: '/home/u/.config/ec2term/config', sections: parseIni(text) });
const ENV = { HOME: '/home/u' };

describe('precedence: flag > environment > config file > built-in', () => {
  it('resolves each setting from the first place that has it', () => {
    const type = def('launch', 'type');
    const file = config('[launch]\ntype = t3.large\n');
    const cases: [string, { flagGiven: boolean; env: Record<string, string>; config?: ConfigFile }, { value: unknown; from: string; source: string } | undefined][] = [
      ['flag wins over everything', { flagGiven: true, env: { EC2TERM_TYPE: 't3.micro' }, config: file }, undefined],
      ['environment over config', { flagGiven: false, env: { EC2TERM_TYPE: 't3.micro' }, config: file }, { value: 't3.micro', from: 'env', source: 'EC2TERM_TYPE' }],
      ['config when no flag or environment', { flagGiven: false, env: {}, config: file }, { value: 't3.large', from: 'config', source: '~/.config/ec2term/config [launch] type' }],
      ['an empty variable is unset', { flagGiven: false, env: { EC2TERM_TYPE: '' }, config: file }, { value: 't3.large', from: 'config', source: '~/.config/ec2term/config [launch] type' }],
      ['built-in when nothing is set', { flagGiven: false, env: {}, config: undefined }, undefined],
      ['another section does not count', { flagGiven: false, env: {}, config: config('[list]\nsort = age\n') }, undefined],
    ];
    for (const [what, from, want] of cases) assert.deepEqual(resolveSetting(type, { ...from, env: { ...ENV, ...from.env } }), want, what);
  });

  it('leaves AWS_REGION and AWS_PROFILE to the AWS chain (they already beat the config file there)', () => {
    const file = config('[default]\nregion = eu-west-1\nprofile = work\n');
    assert.equal(resolveSetting(def('default', 'region'), { flagGiven: false, env: { ...ENV, AWS_REGION: 'us-west-2' }, config: file }), undefined);
    assert.deepEqual(resolveSetting(def('default', 'region'), { flagGiven: false, env: ENV, config: file })?.value, 'eu-west-1');
    assert.equal(resolveSetting(def('default', 'profile'), { flagGiven: false, env: { ...ENV, AWS_PROFILE: 'home' }, config: file }), undefined);
  });

  it('reads booleans and checks choices', () => {
    const wide = def('list', 'wide');
    const cases: [string, unknown][] = [['true', true], ['yes', true], ['On', true], ['1', true], ['false', false], ['no', false], ['0', false]];
    for (const [text, want] of cases) assert.equal(resolveSetting(wide, { flagGiven: false, env: { ...ENV, EC2TERM_WIDE: text } })?.value, want, text);
    assert.throws(() => resolveSetting(wide, { flagGiven: false, env: { ...ENV, EC2TERM_WIDE: 'maybe' } }), /bad EC2TERM_WIDE="maybe": expected true or false/);
    const choices = ['json', 'text', 'tsv', 'table'];
    assert.throws(() => resolveSetting(def('default', 'output'), { flagGiven: false, env: ENV, config: config('[default]\noutput = yaml\n'), choices }), /\[default\] output = "yaml": expected one of json, text, tsv, table/);
  });

  it('names the file and key of a bad value, in one line', () => {
    const bad: [string, string, RegExp][] = [
      ['launch', 'type = t3 small', /^bad ~\/\.config\/ec2term\/config \[launch\] type = "t3 small": expected an instance type/],
      ['launch', 'image = ubuntu', /\[launch\] image = "ubuntu": expected an image id/],
      ['launch', 'allow-from = 10.0.0.0/33', /\[launch\] allow-from = .*IPv4 CIDRs/],
      ['launch', 'ttl = soon', /\[launch\] ttl = "soon": expected a duration/],
      ['launch', 'volume-size = big', /\[launch\] volume-size = "big": expected a whole number/],
      ['default', 'region = moon-1', /\[default\] region = "moon-1": expected a region/],
      ['default', 'profile = a,b', /\[default\] profile = "a,b": expected one profile name/],
      ['ssh', 'login = Bad User', /\[ssh\] login = "Bad User"/],
    ];
    for (const [section, line, want] of bad) {
      const [key] = line.split(' = ');
      const err = (() => {
        try {
          resolveSetting(def(section, key!), { flagGiven: false, env: ENV, config: config(`[${section}]\n${line}\n`) });
        } catch (e) {
          return e as Error;
        }
        return undefined;
      })();
      assert.ok(err instanceof UsageError, line);
      assert.match(err.message, want);
      assert.doesNotMatch(err.message, /\n/);
    }
  });

  it('refuses unknown sections and keys (a typo is not silently ignored)', () => {
    assert.throws(() => checkConfigKeys(config('[lunch]\ntype = t3.small\n'), ENV), /config: unknown section \[lunch\]/);
    assert.throws(() => checkConfigKeys(config('[launch]\ntyp = t3.small\n'), ENV), /unknown key "typ" in \[launch\]: expected type, image, key/);
    assert.doesNotThrow(() => checkConfigKeys(config(SETTINGS.map((s) => `[${s.section}]\n${s.key} = x`).join('\n')), ENV));
  });

  it('lives in $XDG_CONFIG_HOME/ec2term/config, else ~/.config/ec2term/config', () => {
    assert.equal(configFilePath({ HOME: '/home/u' }), '/home/u/.config/ec2term/config');
    assert.equal(configFilePath({ HOME: '/home/u', XDG_CONFIG_HOME: '/xdg' }), '/xdg/ec2term/config');
  });

  it("the README's example file is valid, and documents every setting", () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const example = /```ini\n([\s\S]*?)```/.exec(readme)![1]!;
    const file = config(example);
    assert.doesNotThrow(() => checkConfigKeys(file, ENV));
    for (const s of SETTINGS) {
      assert.doesNotThrow(() => resolveSetting(s, { flagGiven: false, env: ENV, config: file }), `${s.section} ${s.key}`);
      assert.ok(readme.includes(s.key), `README names ${s.key}`);
    }
  });

  it('has one environment variable per setting, none shared', () => {
    const names = SETTINGS.flatMap((s) => s.env);
    assert.equal(new Set(names).size, names.length);
  });
});

function homeWithConfig(text: string, xdg = false): Record<string, string> {
  const home = tempHome();
  const dir = xdg ? join(home, 'xdg') : join(home, '.config');
  mkdirSync(join(dir, 'ec2term'), { recursive: true });
  writeFileSync(join(dir, 'ec2term', 'config'), text);
  return xdg ? { HOME: home, XDG_CONFIG_HOME: dir } : { HOME: home };
}

describe('the runner applies the settings', () => {
  const world = memoryWorld();
  addInstance(world, 'young', {}, 'us-east-1').launchTime = new Date(Date.now() - 60_000);
  addInstance(world, 'old', {}, 'us-east-1').launchTime = new Date(Date.now() - 86_400_000);

  it('ec2list: [list] sort and [default] output from the file; a flag still wins', async () => {
    const env = homeWithConfig('[default]\noutput = text\n[list]\nsort = age\n');
    const r = await runInProcess('ec2list', ['--no-headers'], { env, deps: memoryDeps(world) });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n').map((l) => l.split('\t')[1]), ['young', 'old'], 'tab-separated, youngest first');
    const flag = await runInProcess('ec2list', ['--sort', 'name', '--output', 'json'], { env, deps: memoryDeps(world) });
    assert.deepEqual((JSON.parse(flag.stdout) as { name: string }[]).map((x) => x.name), ['old', 'young']);
  });

  it('honours XDG_CONFIG_HOME and EC2TERM_* over the file', async () => {
    const env = { ...homeWithConfig('[list]\nsort = age\n', true), EC2TERM_SORT: 'name', EC2TERM_OUTPUT: 'json' };
    const r = await runInProcess('ec2list', [], { env, deps: memoryDeps(world) });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual((JSON.parse(r.stdout) as { name: string }[]).map((x) => x.name), ['old', 'young']);
  });

  it('a bad value: one line naming the file and key, exit 2, no AWS request', async () => {
    const env = homeWithConfig('[launch]\ntype = huge\n');
    const w = memoryWorld();
    const r = await runInProcess('ec2launch', ['--dry-run', 'lab'], { env, deps: memoryDeps(w) });
    assert.equal(r.code, 2);
    assert.equal(r.stderr, 'ec2launch: bad ~/.config/ec2term/config [launch] type = "huge": expected an instance type such as t3.small\n');
    assert.deepEqual(w.calls, []);
  });

  it('a damaged file is named too', async () => {
    const r = await runInProcess('ec2list', [], { env: homeWithConfig('sort = age\n'), deps: memoryDeps(world) });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^ec2list: ~\/\.config\/ec2term\/config is damaged \(line 1: a key before any \[section\]\)/);
  });

  it('[default] output never reaches ec2ssh (a session owns its stdout)', async () => {
    const r = await runInProcess('ec2ssh', ['--print', 'nowhere'], { env: homeWithConfig('[default]\noutput = json\n'), deps: memoryDeps(memoryWorld()) });
    assert.doesNotMatch(r.stderr, /cannot share stdout/);
  });
});
