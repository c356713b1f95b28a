// Pure: every way an SSH handshake fails, worded once (src/lib/ssh/handshake-errors.ts), as a table.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConnectionError, ExitCode } from '../../src/lib/errors.js';
import { classifySshError, closedError, connectTimeoutError, type HandshakeScene, type Ssh2Error } from '../../src/lib/ssh/handshake-errors.js';

const scene: HandshakeScene = { host: '203.0.113.7', port: 2222, where: 'ubuntu@lab', refused: [], skipped: [] };

function ssh2Error(message: string, fields: { level?: string; code?: string } = {}): Ssh2Error {
  return Object.assign(new Error(message), fields);
}

describe('classifySshError', () => {
  const table: { what: string; err: Ssh2Error; scene?: Partial<HandshakeScene>; message: string; hint?: RegExp }[] = [
    {
      what: 'login refused, nothing could be offered',
      err: ssh2Error('All configured authentication methods failed', { level: 'client-authentication' }),
      message: 'permission denied (publickey) for ubuntu@lab: no key could be offered',
      hint: /-i FILE.*-l USER/,
    },
    {
      what: 'login refused: the refused keys in order, then the skipped ones',
      err: ssh2Error('All configured authentication methods failed', { level: 'client-authentication' }),
      scene: { refused: ['id_ed25519 (SHA256:aaa)', 'the keys in ssh-agent (/tmp/agent)'], skipped: ['id_rsa: permissions 0644 are too open', 'lab.pem: encrypted'] },
      message:
        'permission denied (publickey) for ubuntu@lab: the server refused id_ed25519 (SHA256:aaa), the keys in ssh-agent (/tmp/agent); skipped id_rsa: permissions 0644 are too open; lab.pem: encrypted',
    },
    {
      what: 'port closed',
      err: ssh2Error('connect ECONNREFUSED 203.0.113.7:2222', { level: 'client-socket', code: 'ECONNREFUSED' }),
      message: 'cannot connect to 203.0.113.7 port 2222: connection refused',
      hint: /sshd may still be starting/,
    },
    { what: 'no such host', err: ssh2Error('getaddrinfo ENOTFOUND', { level: 'client-socket', code: 'ENOTFOUND' }), message: 'cannot connect to 203.0.113.7 port 2222: host name not found' },
    { what: 'resolver not answering', err: ssh2Error('getaddrinfo EAI_AGAIN', { level: 'client-socket', code: 'EAI_AGAIN' }), message: 'cannot connect to 203.0.113.7 port 2222: host name not found' },
    {
      what: 'host unreachable',
      err: ssh2Error('connect EHOSTUNREACH', { level: 'client-socket', code: 'EHOSTUNREACH' }),
      message: 'cannot connect to 203.0.113.7 port 2222: no route to host',
      hint: /security group allows SSH/,
    },
    { what: 'network unreachable', err: ssh2Error('connect ENETUNREACH', { code: 'ENETUNREACH' }), message: 'cannot connect to 203.0.113.7 port 2222: no route to host' },
    { what: 'reset', err: ssh2Error('read ECONNRESET', { level: 'client-socket', code: 'ECONNRESET' }), message: 'cannot connect to 203.0.113.7 port 2222: connection reset' },
    {
      what: 'a socket code without a wording of its own: the system message',
      err: ssh2Error('connect ETIMEDOUT 203.0.113.7:2222', { code: 'ETIMEDOUT' }),
      message: 'cannot connect to 203.0.113.7 port 2222: connect ETIMEDOUT 203.0.113.7:2222',
      hint: /security group allows SSH/,
    },
    { what: 'a socket error with no code', err: ssh2Error('socket hang up', { level: 'client-socket' }), message: 'cannot connect to 203.0.113.7 port 2222: socket hang up' },
    { what: 'keep-alives unanswered', err: ssh2Error('Keepalive timeout', { level: 'client-timeout' }), message: 'timed out talking to 203.0.113.7 port 2222' },
    { what: 'anything else: the protocol message', err: ssh2Error('Handshake failed: no matching key exchange algorithm', { level: 'protocol' }), message: 'SSH to ubuntu@lab failed: Handshake failed: no matching key exchange algorithm' },
  ];
  for (const row of table) {
    it(row.what, () => {
      const e = classifySshError(row.err, { ...scene, ...row.scene });
      assert.ok(e instanceof ConnectionError);
      assert.equal(e.exitCode, ExitCode.connection);
      assert.equal(e.message, row.message);
      if (row.hint) assert.match(e.hint ?? '', row.hint);
      else if (row.err.level !== 'client-authentication') assert.equal(e.hint, undefined);
    });
  }

  it('keeps ssh2 error as the cause, except for a refused login (nothing more to tell)', () => {
    const err = ssh2Error('connect ECONNREFUSED', { code: 'ECONNREFUSED' });
    assert.equal(classifySshError(err, scene).cause, err);
    assert.equal(classifySshError(ssh2Error('x', { level: 'client-authentication' }), scene).cause, undefined);
  });
});

describe('closedError and connectTimeoutError', () => {
  it('says whether the close came before or during login', () => {
    assert.equal(closedError('lab', 22, false).message, 'lab port 22 closed the connection before the SSH handshake finished');
    assert.equal(closedError('lab', 22, true).message, 'lab port 22 closed the connection during login');
    assert.equal(closedError('lab', 22, true).exitCode, ExitCode.connection);
  });
  it('names the deadline in seconds and how to wait longer', () => {
    const e = connectTimeoutError('lab', 22, 20_000);
    assert.equal(e.message, 'timed out after 20s connecting to lab port 22');
    assert.match(e.hint ?? '', /--connect-timeout SECONDS/);
  });
});
