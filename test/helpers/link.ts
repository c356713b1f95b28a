// Test helper: the shaped loopback link of bench/lib/link.mjs (a TCP relay with a delay line and a rate
// cap, both directions) in front of a server, so SSH's flow control sees a real round trip.
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join } from 'node:path';

export interface ShapedLink {
  host: string;
  port: number;
  delayMs: number;
  rateBitsPerSec: number;
  connections(): number;
  heldBytes(): number;
  close(): Promise<void>;
}

export interface LinkOptions {
  target: { host: string; port: number };
  /** One way (50 = a 100 ms round trip). */
  delayMs?: number;
  rateBitsPerSec?: number;
  queueBytes?: number;
}

// dist/test/helpers/link.js -> the repository root -> bench/lib/link.mjs (not compiled: plain ESM).
const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..');

export async function startShapedLink(o: LinkOptions): Promise<ShapedLink> {
  const mod = (await import(pathToFileURL(join(ROOT, 'bench', 'lib', 'link.mjs')).href)) as { startLink(o: LinkOptions): Promise<ShapedLink> };
  return mod.startLink(o);
}
