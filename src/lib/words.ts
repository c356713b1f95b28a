// Counted nouns for messages: "1 host", "3 hosts" (never "1 hosts" or "host(s)").

/** `count(1, 'host')` -> "1 host", `count(3, 'host')` -> "3 hosts"; `many` for irregular plurals. */
export function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** The noun alone, singular for exactly one. */
export function noun(n: number, one: string, many = `${one}s`): string {
  return n === 1 ? one : many;
}
