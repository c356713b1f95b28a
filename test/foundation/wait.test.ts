// The waits every command shares: back-off, timeouts that name their phase, retries of chosen failures,
// and the persistent retries cleanup uses. A fake clock: no real sleeping.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fakeClock } from '../../src/lib/clock.js';
import { ConnectionError, Ec2termError, failureReason, fromAwsError, isTransientAwsError, TimeoutError } from '../../src/lib/errors.js';
import { formatDuration, nextDelay, parseDuration, persistentCleanup, pollUntil, retryWhile } from '../../src/lib/wait.js';

function awsError(name: string, message: string, status: number, extra: object = {}) {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status }, ...extra });
}
const throttled = () => awsError('RequestLimitExceeded', 'Request limit exceeded.', 503);
const notFound = () => awsError('InvalidInstanceID.NotFound', "The instance ID 'i-1' does not exist", 400);

test('nextDelay grows by the factor and stops at the cap', () => {
  const b = { initialMs: 200, maxMs: 5_000, factor: 2 };
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6].map((n) => nextDelay(n, b)), [200, 400, 800, 1600, 3200, 5000, 5000]);
});

test('pollUntil returns the first value, and times out naming its phase', async () => {
  const clock = fakeClock();
  let calls = 0;
  assert.equal(await pollUntil('three calls', async () => (++calls === 3 ? 'yes' : undefined), { clock, timeoutMs: 60_000 }), 'yes');
  const start = clock.now();
  await assert.rejects(pollUntil('Godot', async () => false, { clock, timeoutMs: 10_000 }), (err: unknown) =>
    err instanceof TimeoutError && /waiting for Godot/.test(err.message));
  assert.ok(clock.now() - start <= 10_000, 'the last sleep ends at the deadline');
});

test('retryWhile retries only what it is told to, then gives the last failure', async () => {
  const clock = fakeClock();
  let n = 0;
  const flaky = async () => {
    if (++n < 4) throw new ConnectionError('connection refused');
    return 'in';
  };
  const refused = (e: unknown) => e instanceof ConnectionError;
  assert.equal(await retryWhile('sshd', flaky, refused, { clock, timeoutMs: 60_000 }), 'in');
  assert.equal(n, 4);
  // Not retryable: thrown at once.
  n = 0;
  await assert.rejects(retryWhile('x', async () => { n++; throw new Error('bad key'); }, refused, { clock, timeoutMs: 60_000 }), /bad key/);
  assert.equal(n, 1);
  // Out of time: the last retryable failure, not a timeout.
  await assert.rejects(retryWhile('x', async () => { throw new ConnectionError('connection refused'); }, refused, { clock, timeoutMs: 5_000 }), ConnectionError);
  // No time at all: exactly one attempt.
  n = 0;
  await assert.rejects(retryWhile('x', async () => { n++; throw new ConnectionError('connection refused'); }, refused, { clock, timeoutMs: 0 }), ConnectionError);
  assert.equal(n, 1);
});

test('isTransientAwsError: throttling, 5xx and dropped connections, also when wrapped; not answers that will not change', () => {
  const table: [string, unknown, boolean][] = [
    ['throttled', throttled(), true],
    ['Throttling (Route 53)', awsError('Throttling', 'Rate exceeded', 400), true],
    ['PriorRequestNotComplete', awsError('PriorRequestNotComplete', 'still busy', 400), true],
    ['500', awsError('InternalError', 'An internal error has occurred', 500), true],
    ['503', awsError('Unavailable', 'overloaded', 503), true],
    ['SDK says retryable', awsError('Whatever', 'x', 400, { $retryable: {} }), true],
    ['socket hang up', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), true],
    ['wrapped by ec2term', fromAwsError(throttled(), 'terminating'), true],
    ['not found', notFound(), false],
    ['refused', awsError('UnauthorizedOperation', 'no', 403), false],
    ['invalid', awsError('InvalidParameterValue', 'bad', 400), false],
    ['an ec2term error of its own', new Ec2termError('the setup failed'), false],
    ['nothing', undefined, false],
  ];
  for (const [what, err, want] of table) assert.equal(isTransientAwsError(err), want, what);
});

test('failureReason: code and message of the error underneath, once', () => {
  assert.equal(failureReason(fromAwsError(throttled(), 'terminating')), 'RequestLimitExceeded: Request limit exceeded');
  assert.equal(failureReason(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })), 'ECONNRESET: socket hang up');
  assert.equal(failureReason(new Ec2termError('plain')), 'plain');
});

test('persistentCleanup: retries transient failures past the SDK, says so once per call, shares one deadline', async () => {
  const clock = fakeClock();
  const notes: string[] = [];
  const persist = persistentCleanup({ clock, budgetMs: 60_000, warn: (t) => notes.push(t) });
  let n = 0;
  const terminated = await persist('terminating i-1', async () => {
    if (++n <= 5) throw fromAwsError(throttled(), 'terminating');
    return 'shutting-down';
  });
  assert.equal(terminated, 'shutting-down');
  assert.deepEqual(notes, ['terminating i-1: RequestLimitExceeded: Request limit exceeded; trying again for up to 1m0s (Ctrl-C to give up)']);
  // A lasting answer is not retried.
  n = 0;
  await assert.rejects(persist('terminating i-2', async () => { n++; throw notFound(); }), /does not exist/);
  assert.equal(n, 1);
  // The budget is shared: after it is spent, a call gets one attempt and its failure.
  await assert.rejects(persist('deleting the group', async () => { throw throttled(); }), /Request limit exceeded/);
  assert.ok(clock.now() - Date.UTC(2026, 0, 1) <= 60_000 + 1, 'no retry past the deadline');
  n = 0;
  await assert.rejects(persist('deleting the key pair', async () => { n++; throw throttled(); }), /Request limit exceeded/);
  assert.equal(n, 1);
  // Ctrl-C stops the retries.
  const ac = new AbortController();
  const interruptible = persistentCleanup({ clock, budgetMs: 60_000, warn: () => {}, signal: ac.signal });
  await assert.rejects(interruptible('terminating i-3', async () => { ac.abort(); throw throttled(); }), /interrupted/);
});

test('formatDuration and parseDuration', () => {
  assert.deepEqual([950, 12_000, 75_000, 7_200_000, 3 * 86_400_000].map(formatDuration), ['0.9s', '12s', '1m15s', '2h0m', '3d0h']);
  assert.deepEqual(['90s', '15m', '1h', '2h30m', '1.5h', '1d', 'soon', '0s', ''].map(parseDuration), [90_000, 900_000, 3_600_000, 9_000_000, 5_400_000, 86_400_000, undefined, undefined, undefined]);
});
