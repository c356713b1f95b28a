// Starting, sharing, stopping, restarting and resetting the sandbox server.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { CreateKeyPairCommand, DescribeImagesCommand, DescribeInstancesCommand, DescribeKeyPairsCommand, EC2Client, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { adminRequest, ensureSandbox, resetSandbox, sandboxStatus, stopSandbox, type SandboxInfo } from '../../src/sandbox/client.js';
import { until } from './sdk.js';

const roots: string[] = [];
function envFor(): NodeJS.ProcessEnv {
  const root = mkdtempSync(join(tmpdir(), 'ec2term-life-'));
  roots.push(root);
  return { ...process.env, EC2TERM_SANDBOX_DIR: join(root, 'state'), EC2TERM_SANDBOX_DELAYS: 'fast', HOME: root };
}
const client = (i: SandboxInfo) => new EC2Client({ endpoint: i.url, region: 'us-east-1', credentials: { accessKeyId: i.accessKeyId, secretAccessKey: i.secretAccessKey }, maxAttempts: 1 });

describe('sandbox lifecycle', () => {
  const envs: NodeJS.ProcessEnv[] = [];
  after(async () => {
    for (const e of envs) await stopSandbox(e);
    for (const r of roots) rmSync(r, { recursive: true, force: true });
  });

  it('concurrent ensureSandbox calls, in one process and across processes, share one server', async () => {
    const env = envFor(); envs.push(env);
    const [a, b] = await Promise.all([ensureSandbox(env), ensureSandbox(env)]);
    assert.equal(a.pid, b.pid);
    await stopSandbox(env);
    const clientJs = fileURLToPath(new URL('../../src/sandbox/client.js', import.meta.url));
    const script = `import(${JSON.stringify(clientJs)}).then(async (m) => { const i = await m.ensureSandbox(); process.stdout.write(String(i.pid)); })`;
    const pids = await Promise.all(Array.from({ length: 6 }, () => new Promise<string>((resolve, reject) => {
      const p = spawn(process.execPath, ['-e', script], { env, stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      p.stdout.on('data', (d) => { out += d; });
      p.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`child exited ${code}`))));
    })));
    assert.equal(new Set(pids).size, 1, `one server for all: ${pids.join(',')}`);
    assert.ok(!existsSync(join(env.EC2TERM_SANDBOX_DIR!, 'start.lock')), 'lock released');
  });

  it('keeps state across a restart; stop removes server.json; reset empties the world', async () => {
    const env = envFor(); envs.push(env);
    const first = await ensureSandbox(env);
    const server = JSON.parse(readFileSync(join(env.EC2TERM_SANDBOX_DIR!, 'server.json'), 'utf8'));
    assert.deepEqual([server.pid, server.url], [first.pid, first.url]);
    const c1 = client(first);
    await c1.send(new CreateKeyPairCommand({ KeyName: 'persist', KeyType: 'ed25519' }));
    const ami = (await c1.send(new DescribeImagesCommand({ Owners: ['099720109477'] }))).Images![0]!.ImageId!;
    const id = (await c1.send(new RunInstancesCommand({ ImageId: ami, InstanceType: 't3.micro', MinCount: 1, MaxCount: 1, KeyName: 'persist' }))).Instances![0]!.InstanceId!;
    await until(async () => (await c1.send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations![0]!.Instances![0]!.State!.Name === 'running', 5000, 'running');
    const port = ((await adminRequest(first, 'GET', `instances/${id}/ssh`)) as { port: number }).port;

    assert.equal(await stopSandbox(env), true);
    assert.ok(!existsSync(join(env.EC2TERM_SANDBOX_DIR!, 'server.json')));
    assert.equal((await sandboxStatus(env)).running, false);

    const second = await ensureSandbox(env);
    assert.notEqual(second.pid, first.pid);
    const c2 = client(second);
    assert.equal((await c2.send(new DescribeKeyPairsCommand({}))).KeyPairs![0]!.KeyName, 'persist');
    const ssh = (await adminRequest(second, 'GET', `instances/${id}/ssh`)) as { listening: boolean; port: number };
    assert.deepEqual([ssh.listening, ssh.port], [true, port], 'running instance gets its endpoint back on the same port');
    const st = await sandboxStatus(env);
    assert.equal(st.running, true);
    await resetSandbox(env);
    assert.equal((await c2.send(new DescribeKeyPairsCommand({}))).KeyPairs!.length, 0);
    assert.equal((await c2.send(new DescribeInstancesCommand({}))).Reservations!.length, 0);
  });

  it('refuses a corrupt state.json with a message naming it', async () => {
    const env = envFor(); envs.push(env);
    mkdirSync(env.EC2TERM_SANDBOX_DIR!, { recursive: true });
    const file = join(env.EC2TERM_SANDBOX_DIR!, 'state.json');
    writeFileSync(file, '{ not json');
    await assert.rejects(ensureSandbox(env), (e: Error) => e.message.includes(file) && !e.message.includes('\n'));
    assert.equal(readFileSync(file, 'utf8'), '{ not json', 'never overwritten');
  });
});
