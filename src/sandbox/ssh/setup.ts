// A harmless stand-in for running ec2term's GraphTerm user-data on an instance. The script is never
// executed: it is only read to decide which plausible log lines and setup marker to write, so that the
// CLI's "setup finished?" checks see what they would see on EC2.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface SimulateSetupOptions {
  rootDir: string;
  user: string;
  /** Decoded user-data. It may hold secrets (auth codes): never copied into the log. */
  userData: string;
  fail: boolean;
}

export async function simulateSetup(o: SimulateSetupOptions): Promise<void> {
  const home = join(o.rootDir, 'home', o.user);
  const rootHome = join(o.rootDir, 'root');
  await mkdir(home, { recursive: true });
  await mkdir(rootHome, { recursive: true, mode: 0o700 });

  const ud = o.userData;
  const has = (re: RegExp) => re.test(ud);
  const secondary = has(/gtermhost|--connect_to|--server_addr/);
  const log: string[] = [];
  const say = (msg: string) => log.push(`${new Date().toISOString()} ${msg}`);
  say('ec2launch: setup starting (sandbox simulation; user-data not executed)');
  say('apt-get update');
  say('apt-get install -y python3-pip python3-venv');
  if (has(/pylab|matplotlib|numpy/)) say('installing scientific Python: numpy matplotlib (pylab)');
  if (has(/r-base|r-recommended|Rscript/)) say('installing R (r-base)');
  if (has(/netcdf/i)) say('installing netCDF libraries (libnetcdf-dev, netCDF4)');
  say('pip install graphterm');
  if (secondary) {
    say('secondary mode: starting gtermhost against the primary server');
    say('gtermhost --daemon=start: started');
  } else {
    say(`gtermserver --daemon=start${has(/--https/) ? ' --https' : ''}: started (auth settings not logged)`);
  }

  const status = join(home, 'SETUP_STATUS');
  const error = join(home, 'SETUP_ERROR');
  if (o.fail) {
    say('ERROR: gtermserver did not start (simulated failure)');
    say('ec2launch: setup FAILED');
    await writeLog(rootHome, log);
    await rm(status, { force: true });
    const tail = log.slice(-5).join('\n');
    await writeFile(error, `error: setup failed at ${new Date().toISOString()}: gtermserver did not start\n--- last lines of /root/ec2launch.log ---\n${tail}\n`);
  } else {
    say('ec2launch: setup complete');
    await writeLog(rootHome, log);
    await rm(error, { force: true });
    const what = secondary ? 'gtermhost connected' : 'graphterm ready';
    await writeFile(status, `ok: ${what} at ${new Date().toISOString()}\n`);
  }
}

async function writeLog(rootHome: string, lines: string[]): Promise<void> {
  await writeFile(join(rootHome, 'ec2launch.log'), lines.join('\n') + '\n', { mode: 0o600 });
}
