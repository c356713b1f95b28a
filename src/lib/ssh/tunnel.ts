// The way to a host: -4 / -6 checks on an address literal, and -J's direct-tcpip channel from a jump
// host that the next SSH connection runs over.
import { isIPv4, isIPv6 } from 'node:net';
import type { Duplex } from 'node:stream';
import { ConnectionError } from '../errors.js';
import type { SshConnection } from './connection.js';

/** Pure: why `host` (an address literal) does not fit -4 / -6, or undefined. */
export function wrongFamily(host: string, family: 4 | 6 | undefined): string | undefined {
  if (family === 6 && isIPv4(host)) return 'it is an IPv4 address and -6 (AddressFamily inet6) allows only IPv6';
  if (family === 4 && isIPv6(host)) return 'it is an IPv6 address and -4 (AddressFamily inet) allows only IPv4';
  return undefined;
}

/** -J: a direct-tcpip channel from the jump host to host:port, to run the next SSH connection over. */
export function tunnelThrough(via: SshConnection, host: string, port: number): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    try {
      via.client.forwardOut('127.0.0.1', 0, host, port, (err, stream) => {
        if (err) reject(new ConnectionError(`the jump host ${via.host} could not open ${host} port ${port}: ${err.message}`, { hint: 'check that the jump host can reach the target (security group, address)' }));
        else resolve(stream);
      });
    } catch (err) {
      reject(new ConnectionError(`the jump host ${via.host} is not connected: ${(err as Error).message}`));
    }
  });
}
