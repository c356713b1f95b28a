// The sandbox's stand-in for AWS's instance identity signatures: one RSA key and self-signed certificate
// per state folder (keys/identity.pem, 0600, made once with openssl), the documents EC2's metadata
// service serves at /latest/dynamic/instance-identity/document, and their base64 RSA-SHA256 `signature`.
// ec2launch hands the certificate to a server's key responder exactly as it hands AWS's on EC2.
import { execFileSync } from 'node:child_process';
import { sign } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPrivateFileOnce } from './private.js';
import { SANDBOX_ACCOUNT_ID } from './ids.js';
import type { Instance } from './state.js';

const FILE = join('keys', 'identity.pem');

interface IdentityKey { key: string; certificate: string }

/** The folder's signing key and certificate, made on first use (racing makers: one wins, all read it). */
export function identityKey(dir: string): IdentityKey {
  const file = join(dir, FILE);
  let text: string;
  try { text = readFileSync(file, 'utf8'); } catch {
    const tmp = mkdtempSync(join(tmpdir(), 'ec2term-identity-'));
    try {
      execFileSync('openssl', ['req', '-x509', '-nodes', '-newkey', 'rsa:2048', '-days', '3650', '-batch', '-subj', '/O=ec2term sandbox/CN=instance identity',
        '-keyout', join(tmp, 'key'), '-out', join(tmp, 'crt')], { stdio: 'ignore' });
      mkdirSync(join(dir, 'keys'), { recursive: true, mode: 0o700 });
      createPrivateFileOnce(file, readFileSync(join(tmp, 'key'), 'utf8') + readFileSync(join(tmp, 'crt'), 'utf8'));
    } finally { rmSync(tmp, { recursive: true, force: true }); }
    text = readFileSync(file, 'utf8');
  }
  const key = /-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----\n/.exec(text)?.[0];
  const certificate = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n/.exec(text)?.[0];
  if (!key || !certificate) throw new Error(`the sandbox's identity key ${file} is damaged: remove it to make a new one`);
  return { key, certificate };
}

/** What EC2's metadata service says an instance is (the fields AWS documents, in its layout). */
export function identityDocument(i: Instance, pendingTime: string): string {
  const doc = {
    accountId: i.ownerId || SANDBOX_ACCOUNT_ID, architecture: i.architecture, availabilityZone: i.az, billingProducts: null, devpayProductCodes: null,
    marketplaceProductCodes: null, imageId: i.imageId, instanceId: i.id, instanceType: i.instanceType, kernelId: null, pendingTime,
    privateIp: i.privateIp, ramdiskId: null, region: i.region, version: '2017-09-30',
  };
  return `{\n${Object.entries(doc).map(([k, v]) => `  ${JSON.stringify(k)} : ${JSON.stringify(v)}`).join(',\n')}\n}`;
}

/** The document and its base64 RSA-SHA256 signature (/latest/dynamic/instance-identity/signature). */
export function signedIdentity(dir: string, i: Instance, pendingTime: string): { document: string; signature: string } {
  const document = identityDocument(i, pendingTime);
  return { document, signature: sign('sha256', Buffer.from(document), identityKey(dir).key).toString('base64') };
}
