// Entry of the detached shared-connection master (spawned by client.ts): its config arrives on stdin.
// Exits 0 when it is done serving, 1 when it could not start (the spawning run carries on without it).
import { runMaster, type MasterConfig } from './master.js';

const chunks: Buffer[] = [];
process.stdin.on('data', (b: Buffer) => chunks.push(b));
process.stdin.on('end', () => {
  let cfg: MasterConfig;
  try {
    cfg = JSON.parse(Buffer.concat(chunks).toString()) as MasterConfig;
  } catch {
    process.exit(1);
  }
  chunks.length = 0;
  runMaster(cfg).then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
