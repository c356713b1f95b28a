// Route 53, the little ec2term needs of it, behind a small interface (`Dns`): find the hosted zone for
// a name, UPSERT a record and wait until it is INSYNC, read a record, delete a record only while it
// still points at a given instance, create a zone. One SDK-backed implementation (sdkDns) and an
// in-memory one (memoryDns) with Route 53's rules, for tests of the commands that use it.
// No SDK import at load time: the SDK is imported inside sdkDns.
// The parts: dns-names.ts (pure), dns-sdk.ts, dns-memory.ts.
import type { WaitOptions } from './wait.js';

export { bareId, callerReference, checkDnsName, nameSuffixes, normalizeName, pickZone, pointsAt, sameValue } from './dns-names.js';
export { sdkDns } from './dns-sdk.js';
export { memoryDns, type MemoryDns } from './dns-memory.js';

export type RecordType = 'A' | 'CNAME';

export interface HostedZone {
  /** The bare id, e.g. "Z0123456789ABC" (no "/hostedzone/" prefix). */
  id: string;
  /** The zone's name without the trailing dot, lower case, e.g. "myterm.com". */
  name: string;
  private: boolean;
}

export interface DnsRecord {
  /** Without the trailing dot, lower case. */
  name: string;
  type: string;
  ttl?: number;
  /** As Route 53 holds them (CNAME targets may carry a trailing dot). */
  values: string[];
}

export interface DnsChange {
  /** The bare change id, e.g. "C2682N5HXP0BZ4" (no "/change/" prefix). */
  id: string;
  status: 'PENDING' | 'INSYNC' | string;
}

export interface CreatedZone extends HostedZone {
  nameServers: string[];
  change: DnsChange;
}

/** Why deleteRecordIfPointsAt did or did not delete. */
export type DeleteOutcome =
  | { deleted: true; record: DnsRecord; change: DnsChange }
  /** No A or CNAME record of that name in the zone. */
  | { deleted: false; reason: 'missing' }
  /** The record exists but points somewhere else now (another instance took the name): left alone. */
  | { deleted: false; reason: 'points-elsewhere'; record: DnsRecord };

/** Why repointRecordIfPointsAt did or did not change the record. */
export type RepointOutcome =
  | { changed: true; record: DnsRecord; change: DnsChange }
  /** It already points at the new value only. */
  | { changed: false; reason: 'current'; record: DnsRecord }
  | { changed: false; reason: 'missing' }
  | { changed: false; reason: 'points-elsewhere'; record: DnsRecord };

export interface Dns {
  /** The hosted zone whose name is the longest suffix of `name` (the name itself included); public
   * zones preferred over private ones of the same name. Undefined when no zone matches. */
  findZoneFor(name: string): Promise<HostedZone | undefined>;
  /** Creates or replaces the record (UPSERT: idempotent, safe on re-launch). Default TTL 60. */
  upsertRecord(zoneId: string, name: string, type: RecordType, value: string, ttl?: number): Promise<DnsChange>;
  /** Resolves when the change is INSYNC; TimeoutError('Route 53 change ... to be INSYNC') otherwise. */
  waitInsync(changeId: string, opts: WaitOptions): Promise<void>;
  /** The record of that name and type, or undefined. */
  getRecord(zoneId: string, name: string, type: RecordType): Promise<DnsRecord | undefined>;
  /**
   * Deletes the A or CNAME record `name` only if each of its values is one of `expectedValues`
   * (an instance's public IP and public DNS name). The DELETE carries the exact current values, so
   * Route 53 itself refuses (InvalidChangeBatch) if the record changed in between; that is reported
   * as 'points-elsewhere' or 'missing', never as an error.
   */
  deleteRecordIfPointsAt(zoneId: string, name: string, expectedValues: string[]): Promise<DeleteOutcome>;
  /**
   * Points the A record `name` at `value` only if each of its values is one of `expectedValues` (what
   * ec2term last wrote there): one change batch, DELETE with the exact current values then CREATE, so
   * Route 53 refuses if the record changed in between. A record someone repointed is left alone.
   */
  repointRecordIfPointsAt(zoneId: string, name: string, expectedValues: string[], value: string, ttl?: number): Promise<RepointOutcome>;
  /** Creates a public hosted zone and returns its id and name servers (to give to the registrar). */
  createZone(domain: string): Promise<CreatedZone>;
}
