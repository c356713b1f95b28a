// User-data as EC2 carries it: gzip-compressed, then base64. cloud-init runs gzip-compressed user-data as
// the script it holds, and EC2's 16 KB limit is on these bytes, so the whole setup (start script, key
// responder, certificate) fits with room to spare.
import { gunzipSync, gzipSync } from 'node:zlib';

/** Pure (deterministic: gzip without a time stamp): the script as EC2's UserData. */
export function userDataForEc2(script: string): string {
  return gzipSync(Buffer.from(script), { level: 9 }).toString('base64');
}

/** Pure: EC2 UserData (base64) as the text an instance runs: gunzipped when compressed, as cloud-init does. */
export function userDataText(base64: string): string {
  const raw = Buffer.from(base64, 'base64');
  if (raw[0] === 0x1f && raw[1] === 0x8b) {
    try { return gunzipSync(raw).toString('utf8'); } catch { return raw.toString('utf8'); }
  }
  return raw.toString('utf8');
}
