// EC2 Query protocol input: flat "Name.N.Sub" keys (as the SDK and botocore serialise them).
import { ApiError } from '../errors.js';
import type { Tags } from '../state.js';
import { MAX_FILTER_VALUES, MAX_LIST_MEMBERS, MAX_TAG_KEY_CHARS, MAX_TAG_VALUE_CHARS, MAX_TAGS_PER_RESOURCE } from '../limits.js';

export class Params {
  constructor(readonly map: Map<string, string>) {}

  static fromQuery(q: string): Params {
    const m = new Map<string, string>();
    for (const [k, v] of new URLSearchParams(q)) m.set(k, v);
    return new Params(m);
  }

  str(k: string): string | undefined { return this.map.get(k); }

  req(k: string): string {
    const v = this.map.get(k);
    if (v === undefined || v === '') throw new ApiError('MissingParameter', `The request must contain the parameter ${k}`);
    return v;
  }

  int(k: string): number | undefined {
    const v = this.map.get(k);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n)) throw new ApiError('InvalidParameterValue', `Invalid value '${v}' for ${k}`);
    return n;
  }

  bool(k: string): boolean { return this.map.get(k) === 'true'; }

  /** `Prefix.1`, `Prefix.2`, ... in index order. */
  list(prefix: string): string[] {
    const out: [number, string][] = [];
    const p = prefix + '.';
    for (const [k, v] of this.map) {
      if (!k.startsWith(p)) continue;
      const rest = k.slice(p.length);
      if (/^\d+$/.test(rest)) out.push([+rest, v]);
    }
    tooMany(prefix, out.length);
    return out.sort((a, b) => a[0] - b[0]).map((x) => x[1]);
  }

  /** `Prefix.N.Field...` grouped into one Params per N (keys relative to `Prefix.N.`). */
  structs(prefix: string): Params[] {
    const groups = new Map<number, Map<string, string>>();
    const p = prefix + '.';
    for (const [k, v] of this.map) {
      if (!k.startsWith(p)) continue;
      const m = /^(\d+)\.(.+)$/.exec(k.slice(p.length));
      if (!m) continue;
      const n = +m[1]!;
      let g = groups.get(n);
      if (!g) groups.set(n, (g = new Map()));
      g.set(m[2]!, v);
    }
    tooMany(prefix, groups.size);
    return [...groups.entries()].sort((a, b) => a[0] - b[0]).map(([, g]) => new Params(g));
  }

  /** `Prefix.Field` as a nested Params (e.g. Placement.AvailabilityZone). */
  sub(prefix: string): Params {
    const m = new Map<string, string>();
    const p = prefix + '.';
    for (const [k, v] of this.map) if (k.startsWith(p)) m.set(k.slice(p.length), v);
    return new Params(m);
  }

  filters(): Filter[] {
    return this.structs('Filter').map((f) => {
      const values = f.list('Value');
      if (values.length > MAX_FILTER_VALUES) throw new ApiError('FilterLimitExceeded', `The maximum number of filter values specified on a single call is ${MAX_FILTER_VALUES}`);
      return { name: f.req('Name'), values };
    });
  }

  /** TagSpecification.N.ResourceType + Tag.M.Key/Value. */
  tagSpecs(): { resourceType: string; tags: Tags }[] {
    return this.structs('TagSpecification').map((s) => ({ resourceType: s.str('ResourceType') ?? '', tags: tagsOf(s, 'Tag') }));
  }
}

export interface Filter { name: string; values: string[] }

function tooMany(prefix: string, n: number): void {
  if (n > MAX_LIST_MEMBERS) throw new ApiError('InvalidParameterValue', `The parameter ${prefix} has ${n} members; the most allowed is ${MAX_LIST_MEMBERS}.`);
}

/** AWS counts tag lengths in Unicode characters, not UTF-16 units. */
const chars = (s: string): number => { let n = 0; for (const _ of s) n++; return n; };

export function tagsOf(p: Params, prefix: string): Tags {
  const t: Tags = {};
  for (const s of p.structs(prefix)) {
    const k = s.str('Key');
    if (k === undefined) continue;
    validateTag(k, s.str('Value') ?? '');
    t[k] = s.str('Value') ?? '';
  }
  if (Object.keys(t).length > MAX_TAGS_PER_RESOURCE) throw new ApiError('TagLimitExceeded', 'The maximum number of Tags for a resource has been reached.');
  return t;
}

function validateTag(k: string, v: string): void {
  if (k.length === 0 || chars(k) > MAX_TAG_KEY_CHARS) throw new ApiError('InvalidParameterValue', `Tag key exceeds the maximum length of ${MAX_TAG_KEY_CHARS} characters`);
  if (k.toLowerCase().startsWith('aws:')) throw new ApiError('InvalidParameterValue', `Tag keys starting with 'aws:' are reserved for internal use`);
  if (chars(v) > MAX_TAG_VALUE_CHARS) throw new ApiError('InvalidParameterValue', `Tag value exceeds the maximum length of ${MAX_TAG_VALUE_CHARS} characters`);
}

export const tagSet = (t: Tags): { key: string; value: string }[] => Object.entries(t).map(([key, value]) => ({ key, value }));

/** Opaque NextToken: base64 of the offset into the filtered, ordered result. */
export function paginate<T>(items: T[], p: Params, opts: { min?: number; max?: number; defaultMax?: number; maxName?: string } = {}): { page: T[]; nextToken?: string } {
  const max = opts.max ?? 1000;
  const min = opts.min ?? 5;
  const mr = p.int(opts.maxName ?? 'MaxResults');
  if (mr !== undefined && (mr < min || mr > max)) {
    throw new ApiError('InvalidParameterValue', `Value ( ${mr} ) for parameter maxResults is invalid. Expecting a value ${mr < min ? `greater than ${min}` : `less than ${max}`}.`);
  }
  const size = mr ?? opts.defaultMax ?? Infinity;
  let offset = 0;
  const tok = p.str('NextToken');
  if (tok) {
    const m = /^o(\d+)$/.exec(Buffer.from(tok, 'base64url').toString('latin1'));
    if (!m) throw new ApiError('InvalidParameterValue', `Invalid value '${tok}' for nextToken`);
    offset = +m[1]!;
  }
  const page = items.slice(offset, offset + size);
  const next = offset + size < items.length ? Buffer.from(`o${offset + size}`).toString('base64url') : undefined;
  return { page, nextToken: next };
}
