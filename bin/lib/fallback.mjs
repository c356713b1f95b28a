// Loaded only when dist/bundle/main.js did not load: take the tsc output if the bundle is absent, or stop
// with one line if it is there but broken (so a bad build is never hidden behind the slower path).
import { existsSync } from 'node:fs';

export async function fallback(err, program) {
  if (!existsSync(new URL('../../dist/bundle/main.js', import.meta.url))) return import('../../dist/src/cli.js');
  process.stderr.write(`${program}: the built bundle (dist/bundle) fails to load: ${String(err?.message ?? err).split('\n')[0]}; run npm run build\n`);
  process.exit(70);
}
