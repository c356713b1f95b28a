// Shared helpers for the reliability tests (not a test file itself): ground truth read from the sandbox
// with the SDK (faults must be off while these run: the clients make one attempt), and the request log.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import {
  DescribeInstancesCommand, DescribeKeyPairsCommand, DescribeSecurityGroupsCommand,
} from '@aws-sdk/client-ec2';
import { ListHostedZonesCommand, ListResourceRecordSetsCommand } from '@aws-sdk/client-route-53';
import { BIN, cleanEnv } from '../helpers/run.js';
import type { TestSandbox } from '../helpers/sandbox.js';
import { ec2, r53 } from '../sandbox/sdk.js';

export interface LogEntry { time: string; service: string; action: string; status: number; errorCode?: string }

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function requests(sb: TestSandbox): Promise<LogEntry[]> {
  return ((await sb.admin('GET', '/_sandbox/requests')) as { requests: LogEntry[] }).requests;
}

const FAULT_CODES = new Set(['RequestLimitExceeded', 'Throttling', 'ConnectionDropped']);
/** A request the fault injection failed: 5xx, throttled, or its connection dropped. */
export const isFaulted = (e: LogEntry) => e.status >= 500 || (e.errorCode !== undefined && FAULT_CODES.has(e.errorCode));

/** Counts faulted requests by error code (or status) in the log. */
export function faultCounts(log: LogEntry[]): { total: number; faulted: number; byCode: Record<string, number> } {
  const byCode: Record<string, number> = {};
  let faulted = 0;
  for (const e of log) {
    if (!isFaulted(e)) continue;
    faulted++;
    const k = e.errorCode ?? String(e.status);
    byCode[k] = (byCode[k] ?? 0) + 1;
  }
  return { total: log.length, faulted, byCode };
}

export interface World {
  /** Live (not terminated / shutting-down) instances: id and Name tag. */
  live: { id: string; name: string; state: string }[];
  keyPairs: string[];
  groups: string[];
  /** A records, "name." form. */
  records: string[];
  zones: string[];
}

/** What exists in the sandbox (us-east-1 and Route 53), read with the SDK. Clear faults first. */
export async function world(sb: TestSandbox): Promise<World> {
  const client = ec2(sb);
  const route53 = r53(sb);
  try {
    const inst = await client.send(new DescribeInstancesCommand({}));
    const live = (inst.Reservations ?? []).flatMap((r) => r.Instances ?? [])
      .filter((i) => !['terminated', 'shutting-down'].includes(i.State?.Name ?? ''))
      .map((i) => ({ id: i.InstanceId!, name: i.Tags?.find((t) => t.Key === 'Name')?.Value ?? '', state: i.State?.Name ?? '' }));
    const keyPairs = ((await client.send(new DescribeKeyPairsCommand({}))).KeyPairs ?? []).map((k) => k.KeyName!).sort();
    const groups = ((await client.send(new DescribeSecurityGroupsCommand({}))).SecurityGroups ?? []).map((g) => g.GroupName!).sort();
    const zones = (await route53.send(new ListHostedZonesCommand({}))).HostedZones ?? [];
    const records: string[] = [];
    for (const z of zones) {
      const rr = await route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: z.Id }));
      for (const r of rr.ResourceRecordSets ?? []) if (r.Type === 'A') records.push(r.Name!);
    }
    return { live, keyPairs, groups, records: records.sort(), zones: zones.map((z) => z.Name!).sort() };
  } finally {
    client.destroy();
    route53.destroy();
  }
}

export const liveNamed = (w: World, name: string) => w.live.filter((i) => i.name === name);

export interface Spawned {
  child: ChildProcess;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

/** Starts a bin without waiting, so a test can signal it. */
export function spawnBin(program: string, args: string[], env: Record<string, string>): Spawned {
  const child = spawn(process.execPath, [join(BIN, program), ...args], { env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout!.on('data', (b: Buffer) => out.push(b));
  child.stderr!.on('data', (b: Buffer) => err.push(b));
  const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
  });
  return { child, done };
}

/** Polls the request log until an entry matches (a successful call of that action, by default). */
export async function waitForRequest(sb: TestSandbox, pred: (e: LogEntry) => boolean, timeoutMs = 60_000): Promise<LogEntry> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const hit = (await requests(sb)).find(pred);
    if (hit) return hit;
    if (Date.now() > end) throw new Error('timed out waiting for a request in the sandbox log');
    await sleep(25);
  }
}

/** Everything ec2term made (key pairs, groups, records) and every live instance. */
export const snapshot = (w: World) => ({ live: w.live.map((i) => i.name).sort(), keyPairs: w.keyPairs, groups: w.groups, records: w.records });

export const noStack = (s: string) => assert.doesNotMatch(s, /\n\s+at .*[.:]\d+/, 'no stack trace');
