// Shared SDK client factories for sandbox tests (not a test file itself).
import { EC2Client } from '@aws-sdk/client-ec2';
import { Route53Client } from '@aws-sdk/client-route-53';
import type { TestSandbox } from '../helpers/sandbox.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
export function ec2(sb: TestSandbox, region = 'us-east-1', extra: Record<string, unknown> = {}): EC2Client {
  return new EC2Client({ endpoint: sb.url, region, credentials: { accessKeyId: sb.info.accessKeyId, secretAccessKey: sb.info.secretAccessKey }, maxAttempts: 1, ...extra });
}
export function r53(sb: TestSandbox, extra: Record<string, unknown> = {}): Route53Client {
  return new Route53Client({ endpoint: sb.url, region: 'us-east-1', credentials: { accessKeyId: sb.info.accessKeyId, secretAccessKey: sb.info.secretAccessKey }, maxAttempts: 1, ...extra });
}
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls fn until it returns a truthy value or the time runs out. */
export async function until<T>(fn: () => Promise<T | undefined | false>, timeoutMs = 5000, what = 'condition'): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

/** Error code and HTTP status of a rejected SDK call. */
export async function errorOf(p: Promise<unknown>): Promise<{ name: string; message: string; status?: number }> {
  try { await p; } catch (e) {
    const err = e as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: err.name, message: err.message, status: err.$metadata?.httpStatusCode };
  }
  throw new Error('expected the call to fail');
}
