// DescribeX filters: AND across filters, OR across values, `*` and `?` wildcards in values.
import { ApiError } from '../errors.js';
import type { Tags } from '../state.js';
import type { Filter } from './params.js';

const cache = new Map<string, RegExp>();
function pattern(v: string): RegExp {
  let re = cache.get(v);
  if (!re) {
    re = new RegExp('^' + v.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$', 's');
    if (cache.size > 1000) cache.clear();
    cache.set(v, re);
  }
  return re;
}
export const wildMatch = (value: string, pat: string): boolean =>
  !/[*?]/.test(pat) ? value === pat : pattern(pat).test(value);

/** Resolves the tag filters every resource shares; undefined if the name is not a tag filter. */
export function tagValues(name: string, tags: Tags): string[] | undefined {
  if (name.startsWith('tag:')) { const v = tags[name.slice(4)]; return v === undefined ? [] : [v]; }
  if (name === 'tag-key') return Object.keys(tags);
  if (name === 'tag-value') return Object.values(tags);
  return undefined;
}

/**
 * Compiles filters against a per-resource field getter. The getter returns the resource's values
 * for a filter name, or undefined when the name is not a known filter (rejected up front).
 */
export function compileFilters<T>(filters: Filter[], known: Set<string>, get: (r: T, name: string) => (string | undefined)[]): (r: T) => boolean {
  for (const f of filters) {
    if (!known.has(f.name) && !/^tag:.+/.test(f.name) && f.name !== 'tag-key' && f.name !== 'tag-value') {
      throw new ApiError('InvalidParameterValue', `The filter '${f.name}' is invalid`);
    }
  }
  if (filters.length === 0) return () => true;
  return (r: T) => filters.every((f) => {
    const vals = get(r, f.name);
    return vals.some((v) => v !== undefined && f.values.some((p) => wildMatch(v, p)));
  });
}
