// Verifies AWS Signature Version 4 Authorization headers (header auth only, as the SDK and awscli send).
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { ApiError } from './errors.js';

export interface SignedRequest {
  method: string;
  /** The raw request target as received: path + optional ?query, still percent-encoded. */
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}
export interface Verified { region: string; service: string; accessKeyId: string }
export interface Credentials { accessKeyId: string; secretAccessKey: string }

const MAX_SKEW_MS = 15 * 60 * 1000;

/** RFC 3986 encoding as SigV4 wants it (encodeURIComponent leaves !'()* alone). */
export function uriEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

function safeDecode(s: string): string {
  try { return decodeURIComponent(s.replace(/\+/g, '%20')); } catch { return s; }
}

function canonicalQuery(q: string): string {
  if (!q) return '';
  const pairs = q.split('&').filter(Boolean).map((kv) => {
    const eq = kv.indexOf('=');
    const k = eq < 0 ? kv : kv.slice(0, eq);
    const v = eq < 0 ? '' : kv.slice(eq + 1);
    return [uriEncode(safeDecode(k)), uriEncode(safeDecode(v))] as const;
  });
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return pairs.map(([k, v]) => `${k}=${v}`).join('&');
}

/** Non-S3 services double-encode: each segment of the already-encoded wire path is encoded again. */
function canonicalPath(p: string): string {
  if (!p) return '/';
  return p.split('/').map(uriEncode).join('/');
}

const sha256hex = (d: Buffer | string): string => createHash('sha256').update(d).digest('hex');
const hmac = (k: Buffer | string, d: string): Buffer => createHmac('sha256', k).update(d).digest();

/** The error vocabulary differs per service; EC2 codes by default. */
function authError(service: string, kind: 'missing' | 'unknown-key' | 'mismatch' | 'expired' | 'malformed', detail: string): ApiError {
  const r53 = service === 'route53';
  switch (kind) {
    case 'missing': return new ApiError('MissingAuthenticationToken', 'Request is missing Authentication Token', r53 ? 403 : 401);
    case 'unknown-key': return r53
      ? new ApiError('InvalidClientTokenId', 'The security token included in the request is invalid.', 403)
      : new ApiError('AuthFailure', 'AWS was not able to validate the provided access credentials', 401);
    case 'expired': return r53
      ? new ApiError('SignatureDoesNotMatch', `Signature expired: ${detail} is now earlier or later than 15 minutes from the current time.`, 403)
      : new ApiError('RequestExpired', `Request has expired. ${detail}`, 400);
    case 'malformed': return new ApiError('IncompleteSignature', detail, r53 ? 403 : 400);
    default: return new ApiError('SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.', 403);
  }
}

function amzDateToMs(d: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(d);
  if (!m) return NaN;
  return Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
}

/** Throws ApiError unless the request carries a valid signature by `creds` (the sandbox's own keys). */
export function verifySigV4(req: SignedRequest, guessedService: string, creds: Credentials, now = Date.now()): Verified {
  const auth = req.headers.authorization;
  if (!auth) throw authError(guessedService, 'missing', '');
  const m = /^AWS4-HMAC-SHA256\s+(.*)$/s.exec(auth);
  if (!m) throw authError(guessedService, 'malformed', `Authorization header requires the AWS4-HMAC-SHA256 algorithm.`);
  const parts: Record<string, string> = {};
  for (const p of m[1]!.split(',')) {
    const eq = p.indexOf('=');
    if (eq > 0) parts[p.slice(0, eq).trim()] = p.slice(eq + 1).trim();
  }
  const cred = parts.Credential, signedHeaders = parts.SignedHeaders, signature = parts.Signature;
  if (!cred || !signedHeaders || !signature) {
    throw authError(guessedService, 'malformed', `Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters. Authorization=${auth.split(' ')[0]}`);
  }
  const scope = cred.split('/');
  if (scope.length !== 5 || scope[4] !== 'aws4_request') throw authError(guessedService, 'malformed', `Credential should be scoped correctly: ${cred.replace(/^[^/]*/, '<key>')}`);
  const [keyId, date, region, service] = scope as [string, string, string, string];
  if (keyId !== creds.accessKeyId) throw authError(service, 'unknown-key', '');

  const amzDate = String(req.headers['x-amz-date'] ?? '');
  const t = amzDate ? amzDateToMs(amzDate) : Date.parse(String(req.headers.date ?? ''));
  if (!Number.isFinite(t)) throw authError(service, 'malformed', 'Authorization header requires existence of either a \'X-Amz-Date\' or a \'Date\' header.');
  if (Math.abs(now - t) > MAX_SKEW_MS) throw authError(service, 'expired', amzDate || String(req.headers.date));
  if (amzDate && amzDate.slice(0, 8) !== date) throw authError(service, 'mismatch', '');

  // Payload: a declared hash must match the body we actually received (catches tampering).
  const bodyHash = sha256hex(req.body);
  const declared = req.headers['x-amz-content-sha256'];
  let payloadHash = bodyHash;
  if (typeof declared === 'string' && declared) {
    if (declared !== 'UNSIGNED-PAYLOAD' && declared !== bodyHash) throw authError(service, 'mismatch', '');
    payloadHash = declared;
  }

  const q = req.url.indexOf('?');
  const path = q < 0 ? req.url : req.url.slice(0, q);
  const query = q < 0 ? '' : req.url.slice(q + 1);
  const names = signedHeaders.split(';');
  if (!names.includes('host')) throw authError(service, 'malformed', 'Signed headers must include host.');
  const canonHeaders = names.map((n) => {
    const v = req.headers[n];
    const s = Array.isArray(v) ? v.join(',') : (v ?? '');
    return `${n}:${String(s).trim().replace(/\s+/g, ' ')}\n`;
  }).join('');
  const canonical = [req.method, canonicalPath(path), canonicalQuery(query), canonHeaders, signedHeaders, payloadHash].join('\n');
  const credScope = `${date}/${region}/${service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate || new Date(t).toISOString().replace(/[-:]|\.\d{3}/g, ''), credScope, sha256hex(canonical)].join('\n');
  const kDate = hmac('AWS4' + creds.secretAccessKey, date);
  const kSigning = hmac(hmac(hmac(kDate, region), service), 'aws4_request');
  const expected = createHmac('sha256', kSigning).update(toSign).digest();
  const got = Buffer.from(signature, 'hex');
  if (got.length !== expected.length || !timingSafeEqual(got, expected)) throw authError(service, 'mismatch', '');
  return { region, service, accessKeyId: keyId };
}

/**
 * Verifies a SigV4 presigned URL (X-Amz-* in the query, as the AWS CLI signs EICE's openTunnel). The
 * payload hash may be the empty body's or UNSIGNED-PAYLOAD (SDK presigners differ). Throws ApiError.
 */
export function verifyPresigned(req: { method: string; url: string; headers: IncomingHttpHeaders }, creds: Credentials, now = Date.now()): Verified {
  const q = req.url.indexOf('?');
  const path = q < 0 ? req.url : req.url.slice(0, q);
  const query = q < 0 ? '' : req.url.slice(q + 1);
  const params = new URLSearchParams(query);
  const algo = params.get('X-Amz-Algorithm'), cred = params.get('X-Amz-Credential'), date = params.get('X-Amz-Date');
  const expires = Number(params.get('X-Amz-Expires') ?? 'NaN'), signedHeaders = params.get('X-Amz-SignedHeaders'), signature = params.get('X-Amz-Signature');
  if (algo !== 'AWS4-HMAC-SHA256' || !cred || !date || !signedHeaders || !signature) throw new ApiError('MissingAuthenticationToken', 'Request is missing Authentication Token', 403);
  const scope = cred.split('/');
  if (scope.length !== 5 || scope[4] !== 'aws4_request') throw new ApiError('IncompleteSignature', 'Credential should be scoped correctly', 403);
  const [keyId, day, region, service] = scope as [string, string, string, string];
  if (keyId !== creds.accessKeyId) throw new ApiError('InvalidClientTokenId', 'The security token included in the request is invalid.', 403);
  const t = amzDateToMs(date);
  if (!Number.isFinite(t) || date.slice(0, 8) !== day) throw new ApiError('IncompleteSignature', 'X-Amz-Date is malformed', 403);
  if (!(expires >= 1 && expires <= 604800) || now > t + expires * 1000 || t - now > MAX_SKEW_MS) throw new ApiError('ExpiredToken', 'The presigned URL has expired.', 403);
  const names = signedHeaders.split(';');
  if (!names.includes('host')) throw new ApiError('IncompleteSignature', 'Signed headers must include host.', 403);
  const canonHeaders = names.map((n) => {
    const v = req.headers[n];
    return `${n}:${String(Array.isArray(v) ? v.join(',') : v ?? '').trim().replace(/\s+/g, ' ')}\n`;
  }).join('');
  const unsignedQuery = query.split('&').filter((kv) => kv && !kv.startsWith('X-Amz-Signature=')).join('&');
  const kSigning = hmac(hmac(hmac(hmac('AWS4' + creds.secretAccessKey, day), region), service), 'aws4_request');
  const got = Buffer.from(signature, 'hex');
  for (const payload of [sha256hex(''), 'UNSIGNED-PAYLOAD']) {
    const canonical = [req.method, canonicalPath(path), canonicalQuery(unsignedQuery), canonHeaders, signedHeaders, payload].join('\n');
    const toSign = ['AWS4-HMAC-SHA256', date, `${day}/${region}/${service}/aws4_request`, sha256hex(canonical)].join('\n');
    const expected = createHmac('sha256', kSigning).update(toSign).digest();
    if (got.length === expected.length && timingSafeEqual(got, expected)) return { region, service, accessKeyId: keyId };
  }
  throw new ApiError('SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.', 403);
}
