// The one status line: every other line written to the screen clears it first and draws it again after,
// so a notice never lands in the middle of "ec2launch: lab: running ... 0.0s".
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { Progress } from '../../src/commands/launch/progress.js';
import { fakeClock } from '../../src/lib/clock.js';
import type { Io } from '../../src/lib/io.js';
import { Output } from '../../src/lib/output.js';
import { StatusLine } from '../../src/lib/status-line.js';

function terminal(columns = 80) {
  let text = '';
  const stream = new PassThrough();
  stream.on('data', (b: Buffer) => (text += b.toString('utf8')));
  const io: Io = { stdin: new PassThrough(), stdout: stream, stderr: stream, env: {}, interactive: true, stdoutIsTTY: true, stderrIsTTY: true, columns: () => columns };
  return { io, written: () => text };
}

/** What a terminal would show: \r returns to the line start, ESC[K clears to its end, text overwrites. */
function screen(raw: string): string[] {
  const rows: string[][] = [[]];
  let col = 0;
  for (const part of raw.split(/(\r|\n|\u001b\[K)/)) {
    const row = rows[rows.length - 1]!;
    if (part === '\r') col = 0;
    else if (part === '\n') {
      rows.push([]);
      col = 0;
    } else if (part === '\u001b[K') row.length = col;
    else for (const c of part) row[col++] = c;
  }
  return rows.map((r) => r.join(''));
}

describe('status line', () => {
  it('a notice while the status is shown clears it first, then the status is drawn again', () => {
    const t = terminal();
    const out = new Output(t.io, { json: false, quiet: false, verbose: false, color: false }, 'ec2launch');
    out.status.show('ec2launch: lab: running ... 0.0s');
    out.info('ec2launch: verified the host key of lab');
    out.warn('something to know');
    out.status.end('ec2launch: lab: running: done (0.1s)');
    assert.deepEqual(screen(t.written()), [
      'ec2launch: verified the host key of lab',
      'ec2launch: warning: something to know',
      'ec2launch: lab: running: done (0.1s)',
      '',
    ]);
    assert.doesNotMatch(t.written(), /\.\.\. 0\.0sec2launch/);
  });

  it('a launch phase with a notice inside it: the notice on its own line, the phase ends on its own line', async () => {
    const t = terminal();
    const out = new Output(t.io, { json: false, quiet: false, verbose: false, color: false }, 'ec2launch');
    const progress = new Progress(out, fakeClock());
    await progress.phase({ id: 'ssh-login', host: 'lab', label: 'SSH login' }, async () => out.info('ec2launch: verified the host key of lab (i-0123)'));
    assert.deepEqual(screen(t.written()), ['ec2launch: verified the host key of lab (i-0123)', 'ec2launch: lab: SSH login: done (0.0s)', '']);
    assert.deepEqual(progress.timer.toJSON(), [{ id: 'ssh-login', host: 'lab', label: 'SSH login', seconds: 0 }]);
  });

  it('stdout lines (a table) clear it too', () => {
    const t = terminal();
    const out = new Output(t.io, { json: false, quiet: false, verbose: false, color: false }, 'ec2scp');
    out.status.show('file.bin  42%');
    out.line('a line of data');
    out.status.end();
    assert.deepEqual(screen(t.written()), ['a line of data', '']);
  });

  it('is never wider than the terminal (a wrapped status line could not be cleared)', () => {
    const t = terminal(20);
    const s = new StatusLine(t.io.stderr, true, () => 20);
    s.show('x'.repeat(100));
    assert.ok(screen(t.written())[0]!.length <= 19);
  });

  it('piped or --quiet: never drawn; lines pass through unchanged', () => {
    const t = terminal();
    const out = new Output({ ...t.io, stderrIsTTY: false }, { json: false, quiet: false, verbose: false, color: false }, 'ec2launch');
    out.status.show('ec2launch: lab: running ... 0.0s');
    out.info('plain');
    assert.equal(t.written(), 'plain\n');
  });
});
