// How deep a copy's pipeline goes and how many SFTP channels it uses, from the link's round trip (pure),
// and that an SFTP side measures its round trip (the fastest small request) while a local disk has none.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { linkRtt } from '../../src/lib/transfer/engine.js';
import { channelsFor, inFlightFor, MAX_CHANNELS, MAX_IN_FLIGHT, MIN_IN_FLIGHT, RoundTrips } from '../../src/lib/transfer/depth.js';
import { localFs } from '../../src/lib/transfer/fs.js';
import { extraChannelsFor } from '../../src/lib/transfer/pool.js';

const MiB = 1024 * 1024;

test('bytes in flight per file grow with the round trip, between 4 and 16 MiB', () => {
  const cases: [number | undefined, number][] = [
    [0, MIN_IN_FLIGHT], // loopback: a deeper queue only waits in sshd's buffers
    [0.3, MIN_IN_FLIGHT],
    [20, MIN_IN_FLIGHT], // 1 Gbit/s x 20 ms = 2.5 MB, x1.25 < 4 MiB
    [50, Math.round(1.25 * 0.05 * 125e6)],
    [100, Math.round(1.25 * 0.1 * 125e6)], // ~15.6 MB: the 1 Gbit/s x 100 ms product with room
    [200, MAX_IN_FLIGHT],
    [undefined, MAX_IN_FLIGHT], // not measured: plan for a long link
  ];
  for (const [rtt, want] of cases) assert.equal(inFlightFor(rtt), want, `rtt ${rtt}`);
  assert.equal(MAX_IN_FLIGHT, 16 * MiB);
});

test('channels: one on a short link, one per 2 MiB server window of the link on a long one, at most 6', () => {
  const cases: [number | undefined, number][] = [
    [0, 1],
    [5, 1], // 625 KB in flight fits one window
    [17, 2],
    [50, 3],
    [100, 6],
    [107, MAX_CHANNELS],
    [400, MAX_CHANNELS],
    [undefined, MAX_CHANNELS],
  ];
  for (const [rtt, want] of cases) {
    assert.equal(channelsFor(rtt), want, `rtt ${rtt}`);
    assert.equal(extraChannelsFor(rtt), want - 1, `extra for rtt ${rtt}`);
  }
});

test('the round trip of a copy is the slower side\'s, unknown while either side is unmeasured', () => {
  assert.equal(linkRtt(0, 101), 101);
  assert.equal(linkRtt(3, 0), 3);
  assert.equal(linkRtt(undefined, 0), undefined);
  assert.equal(linkRtt(0, undefined), undefined);
});

test('RoundTrips keeps the fastest request, failed ones included; the local disk reports 0', async () => {
  const trips = new RoundTrips();
  assert.equal(trips.min(), undefined);
  trips.add(12);
  trips.add(3);
  trips.add(40);
  assert.equal(trips.min(), 3);
  await assert.rejects(trips.time(Promise.reject(new Error('ENOENT'))));
  assert.ok(trips.min()! <= 3);
  assert.equal(localFs().rttMs(), 0);
});
