// Counted nouns: one helper so no message says "1 hosts" or "host(s)".
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { count, noun } from '../../src/lib/words.js';

test('count and noun: singular for exactly one, plural otherwise (0 included)', () => {
  assert.equal(count(1, 'host'), '1 host');
  assert.equal(count(0, 'host'), '0 hosts');
  assert.equal(count(3, 'file'), '3 files');
  assert.equal(count(2, 'address', 'addresses'), '2 addresses');
  assert.equal(noun(1, 'port'), 'port');
  assert.equal(noun(2, 'port'), 'ports');
});
