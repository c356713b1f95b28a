// Console output that looks like an EC2 Ubuntu boot log, ending with cloud-init's host key blocks so that
// clients can pin the instance's real host key (see src/lib/console-fingerprints.ts for the reader).
import type { HostKey } from './hostkey.js';

export interface ConsoleOutputOptions {
  instanceId: string;
  hostKey: HostKey;
  privateIp: string;
  hostname: string;
  booted: boolean;
}

export function consoleOutput(o: ConsoleOutputOptions): string {
  const bits = o.hostKey.type === 'ED25519' ? 256 : 0;
  const lines = [
    '[    0.000000] Linux version 6.8.0-1021-aws (buildd@lcy02-amd64-041) (x86_64-linux-gnu-gcc-13 (Ubuntu 13.3.0-6ubuntu2~24.04) 13.3.0) #23-Ubuntu SMP',
    '[    0.000000] Command line: BOOT_IMAGE=/vmlinuz-6.8.0-1021-aws root=PARTUUID=1f1e7f2c-01 ro console=tty1 console=ttyS0 nvme_core.io_timeout=4294967295 panic=-1',
    '[    0.000000] DMI: Amazon EC2 t3.micro/, BIOS 1.0 10/16/2017',
    '[    0.000000] Hypervisor detected: KVM',
    '[    0.912345] nvme nvme0: 2/0/0 default/read/poll queues',
    '[    1.234567] EXT4-fs (nvme0n1p1): mounted filesystem with ordered data mode. Quota mode: none.',
    `[    2.345678] systemd[1]: Hostname set to <${o.hostname}>.`,
  ];
  if (o.booted) {
    const ts = new Date().toUTCString();
    lines.push(
      `[    5.123456] cloud-init[512]: Cloud-init v. 24.4-0ubuntu1~24.04.2 running 'init' at ${ts}. Up 5.01 seconds.`,
      '[    5.234567] cloud-init[512]: ci-info: ++++++++++++++++++++++++++++++Net device info+++++++++++++++++++++++++++++++',
      `[    5.234567] cloud-init[512]: ci-info: |  ens5  | True |  ${o.privateIp}  | 255.255.240.0 | global | 0a:1b:2c:3d:4e:5f |`,
      '[    5.345678] cloud-init[512]: Generating public/private ed25519 key pair.',
      `[    5.345678] cloud-init[512]: The key fingerprint is:`,
      `[    5.345678] cloud-init[512]: ${o.hostKey.fingerprint} root@${o.hostname}`,
      `[    8.456789] cloud-init[801]: Cloud-init v. 24.4-0ubuntu1~24.04.2 running 'modules:config' at ${ts}. Up 8.40 seconds.`,
      `[    8.501234] cloud-init[801]: instance-id: ${o.instanceId}`,
      '#############################################################',
      '-----BEGIN SSH HOST KEY FINGERPRINTS-----',
      `${bits} ${o.hostKey.fingerprint} root@${o.hostname} (${o.hostKey.type})`,
      '-----END SSH HOST KEY FINGERPRINTS-----',
      '#############################################################',
      '-----BEGIN SSH HOST KEY KEYS-----',
      `${o.hostKey.publicKey} root@${o.hostname}`,
      '-----END SSH HOST KEY KEYS-----',
      `[   10.567890] cloud-init[905]: Cloud-init v. 24.4-0ubuntu1~24.04.2 finished at ${ts}. Datasource DataSourceEc2Local.  Up 10.55 seconds`,
      '',
      `Ubuntu 24.04.1 LTS ${o.hostname} ttyS0`,
      '',
      `${o.hostname} login: `,
    );
  }
  return lines.join('\n') + '\n';
}
