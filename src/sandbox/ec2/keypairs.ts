// Key pairs: CreateKeyPair (rsa PEM / ed25519 OpenSSH, as EC2 returns them), ImportKeyPair, Describe, Delete.
import { createHash, createPublicKey, generateKeyPairSync } from 'node:crypto';
import ssh2 from 'ssh2';
import { ApiError, dryRunOk } from '../errors.js';
import { newId } from '../ids.js';
import type { KeyPair } from '../state.js';
import type { Sandbox } from '../world.js';
import { compileFilters } from './filters.js';
import { tagSet, type Params } from './params.js';
import { generateEd25519KeyPair } from '../ssh/hostkey.js';

const colonHex = (b: Buffer) => b.toString('hex').match(/../g)!.join(':');

function tagsFor(p: Params, type: string) {
  return Object.assign({}, ...p.tagSpecs().filter((t) => t.resourceType === type).map((t) => t.tags));
}

function checkName(name: string) {
  if (name.length > 255 || !/^[\x20-\x7e]+$/.test(name)) throw new ApiError('InvalidParameterValue', `Value (${name}) for parameter keyName is invalid.`);
}

/** OpenSSH public key line from any private key ssh2 can parse. */
export function publicLineOf(priv: string): string {
  const k = ssh2.utils.parseKey(priv);
  if (k instanceof Error) throw k;
  const key = Array.isArray(k) ? k[0]! : k;
  return `${key.type} ${key.getPublicSSH().toString('base64')}`;
}

export function createKeyPair(s: Sandbox, region: string, p: Params) {
  const name = p.req('KeyName');
  checkName(name);
  const type = (p.str('KeyType') ?? 'rsa') as 'rsa' | 'ed25519';
  if (type !== 'rsa' && type !== 'ed25519') throw new ApiError('InvalidParameterValue', `Value (${type}) for parameter keyType is invalid.`);
  if ((p.str('KeyFormat') ?? 'pem') !== 'pem') throw new ApiError('InvalidParameterValue', 'The sandbox only returns pem key material.');
  const r = s.region(region);
  if (r.keyPairs[name]) throw new ApiError('InvalidKeyPair.Duplicate', `The keypair already exists`);
  if (p.bool('DryRun')) throw dryRunOk();
  let material: string, fingerprint: string, publicKey: string;
  if (type === 'rsa') {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    material = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString().trimEnd();
    // EC2: SHA-1 of the DER-encoded PKCS#8 private key for keys it created.
    fingerprint = colonHex(createHash('sha1').update(privateKey.export({ type: 'pkcs8', format: 'der' })).digest());
    publicKey = publicLineOf(material);
  } else {
    const k = generateEd25519KeyPair();
    material = k.privateKey.trimEnd();
    publicKey = publicLineOf(material);
    fingerprint = ed25519Fingerprint(publicKey);
  }
  const kp: KeyPair = { id: newId('key'), name, type, fingerprint, publicKey, createTime: s.now(), tags: tagsFor(p, 'key-pair') };
  r.keyPairs[name] = kp;
  s.changed();
  return { keyName: name, keyFingerprint: fingerprint, keyMaterial: material, keyPairId: kp.id, tagSet: tagSet(kp.tags) };
}

function ed25519Fingerprint(line: string): string {
  return createHash('sha256').update(Buffer.from(line.split(' ')[1]!, 'base64')).digest('base64');
}

export function importKeyPair(s: Sandbox, region: string, p: Params) {
  const name = p.req('KeyName');
  checkName(name);
  const text = Buffer.from(p.req('PublicKeyMaterial'), 'base64').toString('utf8').trim();
  const parsed = ssh2.utils.parseKey(text);
  const key = parsed instanceof Error ? undefined : Array.isArray(parsed) ? parsed[0] : parsed;
  if (!key || key.isPrivateKey() || (key.type !== 'ssh-rsa' && key.type !== 'ssh-ed25519')) {
    throw new ApiError('InvalidKey.Format', 'Key is not in valid OpenSSH public key format');
  }
  const r = s.region(region);
  if (r.keyPairs[name]) throw new ApiError('InvalidKeyPair.Duplicate', `The keypair already exists`);
  if (p.bool('DryRun')) throw dryRunOk();
  const publicKey = `${key.type} ${key.getPublicSSH().toString('base64')}`;
  let fingerprint: string;
  if (key.type === 'ssh-rsa') {
    // EC2: MD5 of the DER public key for imported RSA keys.
    const der = createPublicKey({ key: key.getPublicPEM(), format: 'pem' }).export({ type: 'spki', format: 'der' });
    fingerprint = colonHex(createHash('md5').update(der).digest());
  } else fingerprint = ed25519Fingerprint(publicKey);
  const kp: KeyPair = { id: newId('key'), name, type: key.type === 'ssh-rsa' ? 'rsa' : 'ed25519', fingerprint, publicKey, createTime: s.now(), tags: tagsFor(p, 'key-pair') };
  r.keyPairs[name] = kp;
  s.changed();
  return { keyFingerprint: fingerprint, keyName: name, keyPairId: kp.id, tagSet: tagSet(kp.tags) };
}

export function describeKeyPairs(s: Sandbox, region: string, p: Params) {
  const r = s.region(region);
  const names = p.list('KeyName');
  const ids = p.list('KeyPairId');
  const all = Object.values(r.keyPairs);
  for (const n of names) if (!r.keyPairs[n]) throw new ApiError('InvalidKeyPair.NotFound', `The key pair '${n}' does not exist`);
  for (const id of ids) if (!all.some((k) => k.id === id)) throw new ApiError('InvalidKeyPair.NotFound', `The key pair '${id}' does not exist`);
  const match = compileFilters<KeyPair>(p.filters(), new Set(['key-name', 'key-pair-id', 'fingerprint', 'key-type']), (k, f) => {
    switch (f) {
      case 'key-name': return [k.name];
      case 'key-pair-id': return [k.id];
      case 'fingerprint': return [k.fingerprint];
      case 'key-type': return [k.type];
      default: return f === 'tag-key' ? Object.keys(k.tags) : f === 'tag-value' ? Object.values(k.tags) : [k.tags[f.slice(4)]];
    }
  });
  const withPub = p.bool('IncludePublicKey');
  return {
    keySet: all.filter((k) => (names.length === 0 || names.includes(k.name)) && (ids.length === 0 || ids.includes(k.id)) && match(k)).map((k) => ({
      keyPairId: k.id, keyFingerprint: k.fingerprint, keyName: k.name, keyType: k.type, tagSet: tagSet(k.tags),
      publicKey: withPub ? k.publicKey : undefined, createTime: new Date(k.createTime),
    })),
  };
}

export function deleteKeyPair(s: Sandbox, region: string, p: Params) {
  const r = s.region(region);
  const name = p.str('KeyName');
  const id = p.str('KeyPairId');
  if (!name && !id) throw new ApiError('MissingParameter', 'The request must contain the parameter KeyName or KeyPairId');
  const kp = name ? r.keyPairs[name] : Object.values(r.keyPairs).find((k) => k.id === id);
  if (id && !kp) throw new ApiError('InvalidKeyPair.NotFound', `The key pair '${id}' does not exist`);
  if (p.bool('DryRun')) throw dryRunOk();
  // Like EC2, deleting a missing key pair by name succeeds.
  if (kp) { delete r.keyPairs[kp.name]; s.changed(); }
  return { return: true, keyPairId: kp?.id };
}

