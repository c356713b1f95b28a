import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  AmbiguousError,
  AwsRefusedError,
  awsErrorCode,
  CancelledError,
  ConnectionError,
  describeError,
  ExitCode,
  fromAwsError,
  NotFoundError,
  TimeoutError,
  UsageError,
} from '../../src/lib/errors.js';

function awsError(name: string, message: string, status = 400, requestId = 'req-123') {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status, requestId }, $fault: 'client' });
}

const cases: [string, unknown, number, RegExp][] = [
  ['usage', new UsageError('bad --type "x"'), 2, /^bad --type "x"$/],
  ['not found', new NotFoundError('no instance matches "lab"'), 3, /no instance matches/],
  ['ambiguous', new AmbiguousError('2 instances match', ['a', 'b']), 3, /2 instances match/],
  ['refused', new AwsRefusedError('no', 'AuthFailure'), 4, /no/],
  ['timeout', new TimeoutError('ssh', 'timed out waiting for ssh'), 5, /timed out/],
  ['cancelled', new CancelledError(), 130, /cancelled/],
  ['connection', new ConnectionError('connection refused'), 255, /refused/],
  ['AuthFailure', awsError('AuthFailure', 'AWS was not able to validate the provided access credentials', 401), 4, /AWS refused the request \(AuthFailure\)/],
  ['UnauthorizedOperation', awsError('UnauthorizedOperation', 'You are not authorized', 403), 4, /UnauthorizedOperation/],
  ['limit', awsError('InstanceLimitExceeded', 'You have requested more instances', 400), 4, /InstanceLimitExceeded/],
  ['capacity', awsError('InsufficientInstanceCapacity', 'no capacity', 500), 4, /InsufficientInstanceCapacity/],
  ['not found code', awsError('InvalidInstanceID.NotFound', "The instance ID 'i-1' does not exist"), 3, /does not exist/],
  ['credentials', Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }), 4, /no AWS credentials found/],
  ['network', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }), 1, /cannot reach the AWS endpoint/],
  ['other client error', awsError('InvalidParameterValue', 'Value (x) for parameter instanceType is invalid'), 2, /InvalidParameterValue/],
  ['server error', awsError('InternalError', 'We encountered an internal error', 500), 1, /InternalError/],
  ['plain error', new Error('boom'), 1, /^boom$/],
];

for (const [name, err, code, message] of cases) {
  test(`describeError: ${name} -> exit ${code}`, () => {
    const report = describeError(err);
    assert.equal(report.exitCode, code);
    assert.match(report.lines[0], message);
    assert.ok(!report.lines.join('\n').includes('    at '), 'no stack trace without DEBUG');
  });
}

test('describeError: one line even when the message has newlines', () => {
  const report = describeError(new Error('first\nsecond\n  third'));
  assert.equal(report.lines[0], 'first second third');
});

test('describeError: --verbose adds the cause and the request id, never a stack', () => {
  const report = describeError(fromAwsError(awsError('AuthFailure', 'not valid', 401, 'abc-999')), { verbose: true });
  const text = report.lines.join('\n');
  assert.match(text, /request id: abc-999/);
  assert.match(text, /cause: AuthFailure/);
  assert.ok(!text.includes('    at '));
});

test('describeError: DEBUG adds the stack trace', () => {
  const report = describeError(new Error('boom'), { debug: true });
  assert.match(report.lines.join('\n'), /at /);
});

test('credentials errors carry the hint naming ~/.boto and aws configure', () => {
  const report = describeError(Object.assign(new Error('x'), { name: 'CredentialsProviderError' }));
  assert.equal(report.exitCode, ExitCode.awsRefused);
  assert.match(report.lines.join('\n'), /~\/\.boto/);
  assert.match(report.lines.join('\n'), /aws configure/);
});

test('awsErrorCode: the code of an SDK error, or of the one an ec2term error wraps', () => {
  const table: [unknown, string][] = [
    [awsError('InvalidKeyPair.NotFound', 'gone'), 'InvalidKeyPair.NotFound'],
    [Object.assign(new Error('x'), { Code: 'DryRunOperation', name: 'Error' }), 'DryRunOperation'],
    [fromAwsError(awsError('InvalidGroup.NotFound', 'gone'), 'launching'), 'InvalidGroup.NotFound'],
    [new UsageError('bad flag'), ''],
    [undefined, ''],
  ];
  for (const [err, want] of table) assert.equal(awsErrorCode(err), want, String(want));
});
