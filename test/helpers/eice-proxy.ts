// An OpenSSH ProxyCommand for the sandbox's EICE tunnel: stdin/stdout <-> binary WebSocket frames.
// EICE_URL: the presigned wss://<DnsName>/openTunnel?... (in the environment, never on a command line);
// EICE_SANDBOX: the sandbox URL it is served at (http://127.0.0.1:PORT). Sends Host: <DnsName>.
import WebSocket from 'ws';

const url = new URL(process.env.EICE_URL ?? '');
const at = new URL(process.env.EICE_SANDBOX ?? '');
const ws = new WebSocket(`ws://${at.host}${url.pathname}${url.search}`, { headers: { Host: url.host } });
ws.binaryType = 'nodebuffer';
ws.on('unexpected-response', (_req, res) => {
  let body = '';
  res.on('data', (c: Buffer) => { body += c.toString(); });
  res.on('end', () => { process.stderr.write(`eice-proxy: HTTP ${res.statusCode} ${body}\n`); process.exit(1); });
});
ws.on('open', () => {
  process.stdin.on('data', (d: Buffer) => ws.send(d, { binary: true }));
  process.stdin.on('end', () => ws.close(1000));
});
ws.on('message', (d: Buffer) => process.stdout.write(d));
ws.on('close', (code, reason) => {
  if (code !== 1000 && code !== 1005) process.stderr.write(`eice-proxy: closed ${code} ${reason.toString()}\n`);
  process.exit(code === 1000 || code === 1005 ? 0 : 1);
});
ws.on('error', (e) => { process.stderr.write(`eice-proxy: ${e.message}\n`); process.exit(1); });
