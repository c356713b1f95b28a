// Pure tables: which names from a server ec2scp uses, how names are shown, what mode a copy gets.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { copiedMode } from '../../src/lib/transfer/modes.js';
import { nameProblem, showName } from '../../src/lib/transfer/names.js';

test('nameProblem: a lie (no folder holds it) stops the copy; an unsafe name is refused alone; the rest pass', () => {
  const cases: [string, { reason: string; lie: boolean } | undefined][] = [
    ['', { reason: 'empty', lie: true }],
    ['.', { reason: 'is "."', lie: true }],
    ['..', { reason: 'is ".."', lie: true }],
    ['../../.bashrc', { reason: 'contains "/"', lie: true }],
    ['/etc/passwd', { reason: 'contains "/"', lie: true }],
    ['a/b', { reason: 'contains "/"', lie: true }],
    ['a\0b', { reason: 'contains a NUL byte', lie: true }],
    ['a\nb', { reason: 'contains control characters', lie: false }],
    ['\x1b]52;c;ZXZpbA==\x07', { reason: 'contains control characters', lie: false }],
    ['del\x7f', { reason: 'contains control characters', lie: false }],
    ['csi\u009b', { reason: 'contains control characters', lie: false }],
    ['ok.txt', undefined],
    ['...', undefined],
    ['.hidden', undefined],
    ['..x', undefined],
    ['name with spaces', undefined],
    ['back\\slash', undefined],
    ['ünïcødé 名前', undefined],
    ['rlo\u202etxt.exe', undefined],
  ];
  for (const [name, want] of cases) assert.deepEqual(nameProblem(name), want, JSON.stringify(name));
});

test('showName: controls as \\xNN, invisible and bidi characters as \\uNNNN, everything else as it is', () => {
  const cases: [string, string][] = [
    ['plain/path.txt', 'plain/path.txt'],
    ['a\nb', 'a\\x0ab'],
    ['\x1b[2J', '\\x1b[2J'],
    ['\x00\x07\x7f\u0085\u009b', '\\x00\\x07\\x7f\\x85\\x9b'],
    ['rlo\u202etxt.exe', 'rlo\\u202etxt.exe'],
    ['zero\u200bwidth\ufeff', 'zero\\u200bwidth\\ufeff'],
    ['line\u2028sep', 'line\\u2028sep'],
    ['名前 ünï', '名前 ünï'],
  ];
  for (const [raw, shown] of cases) assert.equal(showName(raw), shown, JSON.stringify(raw));
});

test('copiedMode: -p keeps the bits; without -p the umask applies; special bits never come from a server', () => {
  const cases: [number, { preserve: boolean; fromServer: boolean; umask: number }, number][] = [
    [0o100644, { preserve: false, fromServer: true, umask: 0o022 }, 0o644],
    [0o100777, { preserve: false, fromServer: true, umask: 0o022 }, 0o755],
    [0o100666, { preserve: false, fromServer: true, umask: 0o077 }, 0o600],
    [0o106777, { preserve: false, fromServer: true, umask: 0o022 }, 0o755],
    [0o106777, { preserve: true, fromServer: true, umask: 0o022 }, 0o777],
    [0o041777, { preserve: true, fromServer: true, umask: 0o022 }, 0o777],
    [0o100447, { preserve: false, fromServer: true, umask: 0o022 }, 0o445],
    // From the local disk (the user's own files), -p keeps setuid/sticky as before.
    [0o104755, { preserve: true, fromServer: false, umask: 0o022 }, 0o4755],
    [0o104755, { preserve: false, fromServer: false, umask: 0o022 }, 0o755],
  ];
  for (const [mode, rule, want] of cases) assert.equal(copiedMode(mode, rule).toString(8), want.toString(8), `${mode.toString(8)} ${JSON.stringify(rule)}`);
});
