// Typed errors and the one place that turns any error into a one-line message and an exit code.
// Light on purpose: the runner imports it on every call, --help included.
import { LOCAL_TARGET_FLAG } from './target.js';
import { forTerminal } from './untrusted.js';

/** Exit codes, documented in the README. ec2ssh also passes the remote command's status through. */
export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  notFound: 3,
  awsRefused: 4,
  timeout: 5,
  cancelled: 130,
  connection: 255,
} as const;

export interface ErrorDetails {
  /** A second line telling the user what to do next (printed after the message). */
  hint?: string;
  /** The underlying error, shown with --verbose. */
  cause?: unknown;
  /** AWS request id, shown with --verbose. */
  requestId?: string;
}

/** Base of every error ec2term raises on purpose; anything else is a bug or a foreign error. */
export class Ec2termError extends Error {
  readonly exitCode: number;
  readonly hint?: string;
  readonly requestId?: string;
  constructor(message: string, exitCode: number = ExitCode.failure, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = new.target.name;
    this.exitCode = exitCode;
    this.hint = details.hint;
    this.requestId = details.requestId;
  }
}

/** Bad flags, bad values, conflicting options: nothing was sent to AWS. */
export class UsageError extends Ec2termError {
  constructor(message: string, details: ErrorDetails = {}) {
    super(message, ExitCode.usage, details);
  }
}

/** A name, id or address that matches no instance (or resource). */
export class NotFoundError extends Ec2termError {
  readonly candidates: string[];
  constructor(message: string, candidates: string[] = [], details: ErrorDetails = {}) {
    super(message, ExitCode.notFound, details);
    this.candidates = candidates;
  }
}

/** A name that matches several instances where the command may not pick one. */
export class AmbiguousError extends Ec2termError {
  readonly candidates: string[];
  constructor(message: string, candidates: string[], details: ErrorDetails = {}) {
    super(message, ExitCode.notFound, details);
    this.candidates = candidates;
  }
}

/** AWS said no: credentials, permissions, limits, capacity. */
export class AwsRefusedError extends Ec2termError {
  readonly code?: string;
  constructor(message: string, code?: string, details: ErrorDetails = {}) {
    super(message, ExitCode.awsRefused, details);
    this.code = code;
  }
}

/** A wait ran out of time; `phase` names what was being waited for. */
export class TimeoutError extends Ec2termError {
  readonly phase: string;
  constructor(phase: string, message: string, details: ErrorDetails = {}) {
    super(message, ExitCode.timeout, details);
    this.phase = phase;
  }
}

/** The user pressed Ctrl-C, closed a prompt or answered no. */
export class CancelledError extends Ec2termError {
  constructor(message = 'cancelled', details: ErrorDetails = {}) {
    super(message, ExitCode.cancelled, details);
  }
}

/** An SSH connection could not be made or was lost (ssh's 255). */
export class ConnectionError extends Ec2termError {
  constructor(message: string, details: ErrorDetails = {}) {
    super(message, ExitCode.connection, details);
  }
}

/** Error codes by which AWS says "you may not" rather than "this is wrong". */
const REFUSED_CODES = new Set([
  'AuthFailure',
  'UnauthorizedOperation',
  'InvalidClientTokenId',
  'SignatureDoesNotMatch',
  'IncompleteSignature',
  'MissingAuthenticationToken',
  'ExpiredToken',
  'ExpiredTokenException',
  'RequestExpired',
  'AccessDenied',
  'AccessDeniedException',
  'OptInRequired',
  'Blocked',
  'PendingVerification',
  'InstanceLimitExceeded',
  'VcpuLimitExceeded',
  'InsufficientInstanceCapacity',
  'InsufficientAddressCapacity',
  'MaxSpotInstanceCountExceeded',
  'SecurityGroupLimitExceeded',
  'RulesPerSecurityGroupLimitExceeded',
  'ResourceLimitExceeded',
  'KeyPairLimitExceeded',
  'TooManyHostedZones',
  'LimitsExceeded',
  'RequestLimitExceeded',
  'Throttling',
  'ThrottlingException',
  'PriorRequestNotComplete',
]);

const CREDENTIAL_ERROR_NAMES = new Set(['CredentialsProviderError', 'TokenProviderError']);

/** What a new user must read when no credentials were found anywhere. */
export const NO_CREDENTIALS_HINT =
  'put keys in ~/.boto ([Credentials] aws_access_key_id / aws_secret_access_key), run `aws configure` ' +
  `(or \`aws sso login\`), set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or try everything locally with ${LOCAL_TARGET_FLAG}`;

interface AwsLikeError {
  name?: string;
  code?: string;
  Code?: string;
  message?: string;
  $metadata?: { requestId?: string; httpStatusCode?: number };
  $fault?: string;
}

/** Codes AWS uses for "slow down" and "try again": worth retrying after a pause. */
const TRANSIENT_CODES = new Set([
  'RequestLimitExceeded', 'Throttling', 'ThrottlingException', 'ThrottledException', 'TooManyRequestsException',
  'RequestThrottled', 'RequestThrottledException', 'SlowDown', 'PriorRequestNotComplete', 'EC2ThrottledException',
  'InternalError', 'InternalFailure', 'ServiceUnavailable', 'Unavailable', 'RequestTimeout', 'RequestTimeoutException',
  'TimeoutError',
]);
const TRANSIENT_NETWORK = /^(ECONNRESET|ECONNREFUSED|ECONNABORTED|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN)$/;

/**
 * True when an AWS call failed in a way that may pass if tried again later (throttling, a 5xx, a dropped
 * or timed-out connection), even after the SDK's own attempts; false for answers that will not change
 * (not found, invalid, refused). Looks through an ec2term error to the SDK error it wraps.
 */
export function isTransientAwsError(err: unknown): boolean {
  const e = sdkErrorOf(err) as (AwsLikeError & { $retryable?: unknown }) | undefined;
  if (!e || typeof e !== 'object') return false;
  if (e.$retryable) return true;
  if (TRANSIENT_CODES.has(awsErrorCode(e)) || TRANSIENT_CODES.has(e.code ?? '')) return true;
  if ((e.$metadata?.httpStatusCode ?? 0) >= 500) return true;
  return TRANSIENT_NETWORK.test(e.code ?? '') || /socket hang up/.test(e.message ?? '');
}

/** "RequestLimitExceeded: Request limit exceeded." for the SDK error an error is or wraps (for retry notes). */
export function failureReason(err: unknown): string {
  const e = (err instanceof Ec2termError && err.cause !== undefined ? err.cause : err) as AwsLikeError | undefined;
  if (e instanceof Ec2termError) return e.message;
  const code = e?.Code ?? (e?.name && e.name !== 'Error' ? e.name : undefined) ?? e?.code;
  const message = oneLine(e?.message ?? '').replace(/\.$/, '');
  return code && message && !message.startsWith(code) ? `${code}: ${message}` : message || code || 'unknown error';
}

/** The AWS error code of an SDK error ('InvalidKeyPair.NotFound', ...), or of the SDK error an ec2term error wraps; '' if none. */
export function awsErrorCode(err: unknown): string {
  const e = sdkErrorOf(err) as AwsLikeError | undefined;
  return e?.Code ?? e?.name ?? '';
}

/** The SDK (or network) error itself, or the one an ec2term error wraps (its cause; undefined if none). */
function sdkErrorOf(err: unknown): unknown {
  return err instanceof Ec2termError ? err.cause : err;
}

/** Turns an AWS SDK (or network) error into a typed ec2term error; leaves ec2term errors as they are. */
export function fromAwsError(err: unknown, doing?: string): Ec2termError {
  if (err instanceof Ec2termError) return err;
  const e = (err ?? {}) as AwsLikeError;
  const code = e.Code ?? e.code ?? e.name ?? 'Error';
  const requestId = e.$metadata?.requestId;
  const what = doing ? `${doing}: ` : '';
  const message = oneLine(e.message || code);
  if (CREDENTIAL_ERROR_NAMES.has(e.name ?? '')) {
    return new AwsRefusedError(`${what}no AWS credentials found`, code, { hint: NO_CREDENTIALS_HINT, cause: err });
  }
  if (REFUSED_CODES.has(code) || e.$metadata?.httpStatusCode === 401 || e.$metadata?.httpStatusCode === 403) {
    return new AwsRefusedError(`${what}AWS refused the request (${code}): ${message}`, code, { cause: err, requestId });
  }
  if (/NotFound$|^NoSuch/.test(code)) {
    return new NotFoundError(`${what}${message}`, [], { cause: err, requestId });
  }
  if (/^(ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|EPIPE)$/.test(e.code ?? '') || /ECONNREFUSED|ENOTFOUND|socket hang up/.test(message)) {
    return new Ec2termError(`${what}cannot reach the AWS endpoint (${message})`, ExitCode.failure, {
      cause: err,
      hint: 'check the network, --endpoint-url / AWS_ENDPOINT_URL, and --region',
    });
  }
  if (e.$metadata) {
    const status = e.$metadata.httpStatusCode && e.$metadata.httpStatusCode >= 500 ? ExitCode.failure : ExitCode.usage;
    return new Ec2termError(`${what}${code}: ${message}`, status, { cause: err, requestId });
  }
  return new Ec2termError(`${what}${message}`, ExitCode.failure, { cause: err });
}

export interface ErrorReport {
  exitCode: number;
  /** Lines for stderr, without the program prefix. The first is the one-line message. */
  lines: string[];
}

/**
 * The single mapping from an error to what the user sees. Never includes a stack trace unless
 * `debug` (DEBUG=ec2term) is set; `verbose` adds the cause chain and the AWS request id.
 */
export function describeError(err: unknown, opts: { verbose?: boolean; debug?: boolean } = {}): ErrorReport {
  const typed = fromAwsError(err);
  const lines = [typed.message.trim()];
  if (typed instanceof NotFoundError || typed instanceof AmbiguousError) {
    for (const c of typed.candidates.slice(0, 10)) lines.push(`  ${c}`);
  }
  if (typed.hint) lines.push(`hint: ${typed.hint}`);
  if (opts.verbose) {
    let cause = (typed as { cause?: unknown }).cause;
    let depth = 0;
    while (cause && depth < 5) {
      const c = cause as AwsLikeError & { cause?: unknown };
      lines.push(`cause: ${c.name ?? 'Error'}: ${oneLine(String(c.message ?? cause))}`);
      const rid = c.$metadata?.requestId;
      if (rid) lines.push(`request id: ${rid}`);
      cause = c.cause;
      depth++;
    }
    if (typed.requestId && !lines.some((l) => l.includes(typed.requestId!))) lines.push(`request id: ${typed.requestId}`);
  }
  if (opts.debug) {
    const stack = (err as Error)?.stack;
    if (stack) lines.push(...stack.split('\n'));
  }
  // Messages carry names, tags and server text: each line is shown escaped, never obeyed.
  return { exitCode: typed.exitCode, lines: lines.map((l) => forTerminal(l)) };
}

/** Collapses whitespace so a message always fits on one line. */
export function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}
