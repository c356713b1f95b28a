// A shaped link on loopback: a TCP relay that makes a connection behave like a long fat pipe, for the
// benchmarks (bench/scp-link.mjs) and tests (test/helpers/link.ts). These kernels have no netem qdisc, so
// the relay models the link itself; netemAvailable() says when `tc ... netem` could be used instead.
//
// The model, per direction: a bottleneck of `rateBitsPerSec` feeding a propagation delay of `delayMs`.
// A chunk read from the sender finishes serialising at  done = max(now, previous done) + bytes / rate
// and is written to the receiver at done + delay (a delay line: bytes leave in order, paced at the rate,
// each `delay` after it was sent). The bottleneck queue is bounded (`queueBytes`, like a router's buffer):
// past it the relay stops reading from the sender, so TCP's own backpressure holds the rest in the
// sender's socket, and a slow receiver (its write() refusing) stops the reading too. Memory per direction
// is then at most queue + rate x delay (~6 MB at 1 Gbit/s and 50 ms), whatever the sender does.
import { spawnSync } from 'node:child_process';
import { connect, createServer } from 'node:net';

const now = () => Number(process.hrtime.bigint()) / 1e6; // ms, monotonic

/**
 * One direction of the link: reads `from`, writes `to` after the link's delay, at its rate.
 * Returns a function that reports the bytes held (for tests of the bound).
 */
function delayLine(from, to, { delayMs, bytesPerMs, queueBytes }) {
  const q = []; // { buf, at } in order, `at` = when it may be written
  let serialDone = 0; // when the bottleneck finishes sending what it has accepted so far
  let held = 0;
  let paused = false;
  let timer;
  let ended = false;
  let receiverFull = false;

  // Bytes still waiting for the bottleneck (not yet "on the wire"): the part the queue bound applies to.
  const backlog = () => Math.max(0, serialDone - now()) * bytesPerMs;
  const checkPause = () => {
    const over = backlog() > queueBytes || receiverFull;
    if (over && !paused) {
      paused = true;
      from.pause();
    } else if (!over && paused) {
      paused = false;
      from.resume();
    }
  };
  const release = () => {
    timer = undefined;
    const t = now();
    while (q.length && q[0].at <= t + 0.5) {
      const { buf } = q.shift();
      held -= buf.length;
      if (!to.destroyed && !to.write(buf)) receiverFull = true;
    }
    if (q.length) arm();
    else if (ended && !to.destroyed) to.end();
    checkPause();
  };
  const arm = () => {
    if (timer || !q.length) return;
    timer = setTimeout(release, Math.max(0, q[0].at - now()));
  };
  // While paused, look again once the bottleneck has drained below the bound.
  const poll = setInterval(checkPause, 2);
  poll.unref?.();
  to.on('drain', () => {
    receiverFull = false;
    checkPause();
  });
  from.on('data', (buf) => {
    const t = now();
    serialDone = Math.max(t, serialDone) + buf.length / bytesPerMs;
    q.push({ buf, at: serialDone + delayMs });
    held += buf.length;
    arm();
    checkPause();
  });
  from.on('end', () => {
    ended = true;
    if (!q.length && !to.destroyed) to.end();
  });
  const stop = () => {
    clearInterval(poll);
    if (timer) clearTimeout(timer);
    q.length = 0;
  };
  from.on('close', () => {
    if (!q.length) clearInterval(poll);
  });
  return { held: () => held, stop };
}

/**
 * Starts the relay: listens on 127.0.0.1 (a free port unless `port`), and for every connection opens
 * one to target {host, port} and shapes both directions. `delayMs` is one way (50 = 100 ms round trip).
 */
export function startLink({ target, delayMs = 50, rateBitsPerSec = 1e9, queueBytes, listenHost = '127.0.0.1', port = 0 }) {
  const bytesPerMs = rateBitsPerSec / 8 / 1000;
  // A router's buffer of about 20 ms at the rate (2.5 MB at 1 Gbit/s), at least 256 KiB.
  const shape = { delayMs, bytesPerMs, queueBytes: queueBytes ?? Math.max(256 * 1024, bytesPerMs * 20) };
  const lines = new Set();
  const sockets = new Set();
  let connections = 0;
  const server = createServer((client) => {
    connections++;
    client.setNoDelay(true);
    const upstream = connect({ host: target.host, port: target.port });
    upstream.setNoDelay(true);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    }
    const up = delayLine(client, upstream, shape);
    const down = delayLine(upstream, client, shape);
    lines.add(up);
    lines.add(down);
    const done = () => {
      up.stop();
      down.stop();
      lines.delete(up);
      lines.delete(down);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', done);
    upstream.on('error', done);
    // Once both directions have ended and been passed on, the sockets close by themselves.
    client.on('close', () => upstream.writableEnded || upstream.destroy());
    upstream.on('close', () => client.writableEnded || client.destroy());
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, listenHost, () => {
      const addr = server.address();
      resolve({
        host: listenHost,
        port: addr.port,
        delayMs,
        rateBitsPerSec,
        /** Connections relayed so far. */
        connections: () => connections,
        /** Bytes held in the relay's delay lines right now. */
        heldBytes: () => [...lines].reduce((n, l) => n + l.held(), 0),
        close: () =>
          new Promise((res) => {
            for (const l of lines) l.stop();
            for (const s of sockets) s.destroy();
            server.close(() => res());
          }),
      });
    });
  });
}

/**
 * Can this machine shape loopback with netem? Probed in a throwaway network namespace (its own lo), so
 * the machine's loopback is never touched. Returns undefined when it can, else why not.
 */
export function netemUnavailable() {
  const r = spawnSync('unshare', ['-n', 'sh', '-c', 'ip link set lo up && tc qdisc add dev lo root netem delay 1ms'], { encoding: 'utf8' });
  if (r.error) return `unshare/tc not runnable (${r.error.code ?? r.error.message})`;
  if (r.status !== 0) return (r.stderr || r.stdout || `exit ${r.status}`).trim().split('\n')[0];
  return undefined;
}

/** The shell lines that shape a namespace's lo with netem like startLink does (both ways, so RTT = 2 x delay). */
export function netemSetup({ delayMs = 50, rateBitsPerSec = 1e9 } = {}) {
  const limit = Math.ceil((rateBitsPerSec / 8) * (delayMs / 1000) / 1500) * 4 + 1000; // packets: a few BDPs
  return `ip link set lo up && tc qdisc add dev lo root netem delay ${delayMs}ms rate ${Math.round(rateBitsPerSec / 1e6)}mbit limit ${limit}`;
}
