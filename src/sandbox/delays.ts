// How long simulated things take. Realistic-but-demo-friendly by default; tests use 'fast' or 'zero'.
export interface Delays {
  pendingToRunning: number;
  /** running -> the setup marker written by the simulated user-data. */
  setup: number;
  stopping: number;
  shuttingDown: number;
  /** Route 53 change PENDING -> INSYNC. */
  changeInsync: number;
  volume: number;
  snapshot: number;
  /** SendSSHPublicKey -> the instance's SSH accepts the key (eventual consistency). */
  instanceConnectKey: number;
  /** Instance Connect Endpoint create-in-progress -> create-complete, and delete-in-progress -> gone. */
  eiceCreate: number;
  eiceDelete: number;
}

export const DELAY_PRESETS: Record<'realistic' | 'fast' | 'zero', Delays> = {
  realistic: { pendingToRunning: 3000, setup: 4000, stopping: 3000, shuttingDown: 2000, changeInsync: 2000, volume: 1500, snapshot: 3000, instanceConnectKey: 500, eiceCreate: 4000, eiceDelete: 2000 },
  fast: { pendingToRunning: 150, setup: 200, stopping: 100, shuttingDown: 100, changeInsync: 100, volume: 50, snapshot: 100, instanceConnectKey: 20, eiceCreate: 100, eiceDelete: 50 },
  zero: { pendingToRunning: 0, setup: 0, stopping: 0, shuttingDown: 0, changeInsync: 0, volume: 0, snapshot: 0, instanceConnectKey: 0, eiceCreate: 0, eiceDelete: 0 },
};

/** Accepts a preset name, a JSON object string, or an object; unknown keys are an error. */
export function parseDelays(spec: unknown, base: Delays = DELAY_PRESETS.realistic): Delays {
  if (spec === undefined || spec === null || spec === '') return { ...base };
  if (typeof spec === 'string') {
    const s = spec.trim();
    if (s in DELAY_PRESETS) return { ...DELAY_PRESETS[s as keyof typeof DELAY_PRESETS] };
    let parsed: unknown;
    try { parsed = JSON.parse(s); } catch {
      throw new Error(`EC2TERM_SANDBOX_DELAYS must be realistic, fast, zero or a JSON object, not ${JSON.stringify(s)}`);
    }
    return parseDelays(parsed, base);
  }
  if (typeof spec !== 'object' || Array.isArray(spec)) throw new Error('delays must be a preset name or an object');
  const out = { ...base };
  for (const [k, v] of Object.entries(spec as Record<string, unknown>)) {
    if (k === 'preset') { Object.assign(out, parseDelays(v)); continue; }
    if (!(k in out)) throw new Error(`unknown delay ${JSON.stringify(k)} (known: ${Object.keys(out).join(', ')})`);
    if (typeof v !== 'number' || !(v >= 0)) throw new Error(`delay ${k} must be a number of milliseconds >= 0`);
    out[k as keyof Delays] = v;
  }
  return out;
}
