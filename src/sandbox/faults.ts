// Injected failures, configured through POST /_sandbox/faults or EC2TERM_SANDBOX_FAULTS.
import { ApiError } from './errors.js';

export const FAULT_KINDS = ['throttle', 'throttling', '500', '503', 'slow', 'drop', 'capacity', 'change-pending',
  'setup-error', 'ssh-unreachable', 'scheduled-event', 'access-denied'] as const;
export type FaultKind = typeof FAULT_KINDS[number];
export const FAULT_SERVICES = ['ec2', 'route53', 'autoscaling', 'ec2-instance-connect'] as const;
export type FaultService = typeof FAULT_SERVICES[number];

export interface FaultRule {
  service?: FaultService;
  action?: string;
  kind: FaultKind;
  /** Probability per matching request, 0..1 (default 1). */
  rate?: number;
  /** Fire at most this many times, then the rule is spent. */
  count?: number;
  delayMs?: number;
  instanceId?: string;
  name?: string;
  /** scheduled-event: the event code (default system-reboot). */
  code?: string;
}

/** Request-level kinds apply to a whole API call; the others to one instance or change. */
const REQUEST_KINDS = new Set<FaultKind>(['throttle', 'throttling', '500', '503', 'slow', 'drop', 'capacity', 'access-denied']);

export function parseFaults(spec: unknown): FaultRule[] {
  let v = spec;
  if (typeof v === 'string') {
    if (!v.trim()) return [];
    try { v = JSON.parse(v); } catch { throw new Error('EC2TERM_SANDBOX_FAULTS must be JSON: {"rules":[...]}'); }
  }
  const rules = Array.isArray(v) ? v : (v as { rules?: unknown } | null)?.rules;
  if (!Array.isArray(rules)) throw new Error('faults must be {"rules":[{kind,...}]}');
  return rules.map((r: unknown, i) => {
    if (!r || typeof r !== 'object') throw new Error(`fault rule ${i} must be an object`);
    const rule = { ...(r as FaultRule) };
    if (!FAULT_KINDS.includes(rule.kind)) throw new Error(`fault rule ${i}: kind must be one of ${FAULT_KINDS.join(', ')}`);
    if (rule.service !== undefined && !FAULT_SERVICES.includes(rule.service)) throw new Error(`fault rule ${i}: service must be one of ${FAULT_SERVICES.join(', ')}`);
    if (rule.rate !== undefined && !(rule.rate >= 0 && rule.rate <= 1)) throw new Error(`fault rule ${i}: rate must be within 0..1`);
    if (rule.count !== undefined && !(Number.isInteger(rule.count) && rule.count >= 0)) throw new Error(`fault rule ${i}: count must be a whole number`);
    return rule;
  });
}

export class Faults {
  rules: FaultRule[] = [];

  set(rules: FaultRule[]): void { this.rules = rules; }
  clear(): void { this.rules = []; }

  /** Finds the first live rule that matches and passes its dice roll, consuming one use. */
  private take(pred: (r: FaultRule) => boolean): FaultRule | undefined {
    for (const r of this.rules) {
      if (r.count !== undefined && r.count <= 0) continue;
      if (!pred(r)) continue;
      if (r.rate !== undefined && r.rate < 1 && Math.random() >= r.rate) continue;
      if (r.count !== undefined) r.count--;
      return r;
    }
    return undefined;
  }

  /** A fault for this API call, if any (capacity only for RunInstances). */
  forRequest(service: string, action: string): FaultRule | undefined {
    return this.take((r) => REQUEST_KINDS.has(r.kind) && (!r.service || r.service === service) && (!r.action || r.action === action)
      && (r.kind !== 'capacity' || action === 'RunInstances'));
  }

  /** A per-instance fault of the given kind for this instance. */
  forInstance(kind: FaultKind, instanceId: string, name: string | undefined): FaultRule | undefined {
    return this.take((r) => r.kind === kind && (!r.instanceId || r.instanceId === instanceId) && (!r.name || r.name === name));
  }

  forChange(): FaultRule | undefined {
    return this.take((r) => r.kind === 'change-pending');
  }
}

/** The error a request-level fault produces (slow and drop are handled by the HTTP layer). */
export function faultError(rule: FaultRule, service: string): ApiError | undefined {
  if (service === 'ec2-instance-connect') return instanceConnectFault(rule);
  switch (rule.kind) {
    case 'access-denied': return service === 'ec2'
      ? new ApiError('UnauthorizedOperation', 'You are not authorized to perform this operation. User: arn:aws:iam::123456789012:user/sandbox is not authorized to perform: ec2:' + (rule.action ?? 'this action') + ' because no identity-based policy allows it', 403)
      : new ApiError('AccessDenied', 'User: arn:aws:iam::123456789012:user/sandbox is not authorized to perform this action', 403);
    case 'throttle': case 'throttling':
      return service === 'route53'
        ? new ApiError('Throttling', 'Rate exceeded', 400)
        : new ApiError('RequestLimitExceeded', 'Request limit exceeded.', 503);
    case '500': return service === 'route53'
      ? new ApiError('InternalFailure', 'The request processing has failed because of an unknown error, exception or failure.', 500)
      : new ApiError('InternalError', 'An internal error has occurred', 500);
    case '503': return service === 'route53'
      ? new ApiError('ServiceUnavailable', 'The service is unavailable. Please try again later.', 503)
      : new ApiError('Unavailable', 'The server is overloaded and cannot handle the request.', 503);
    case 'capacity': return new ApiError('InsufficientInstanceCapacity',
      'We currently do not have sufficient capacity in the Availability Zone you requested. Our system will be working on provisioning additional capacity. You can currently get capacity by not specifying an Availability Zone in your request or choosing a different Availability Zone.', 500);
    default: return undefined;
  }
}

/** EC2 Instance Connect's JSON error codes. */
function instanceConnectFault(rule: FaultRule): ApiError | undefined {
  switch (rule.kind) {
    case 'throttle': case 'throttling': return new ApiError('ThrottlingException', 'The requests were made too frequently and have been throttled. Wait a while and try again.', 400);
    case 'access-denied': return new ApiError('AccessDeniedException',
      `User: arn:aws:iam::123456789012:user/sandbox is not authorized to perform: ec2-instance-connect:${rule.action ?? 'SendSSHPublicKey'} because no identity-based policy allows the ec2-instance-connect:${rule.action ?? 'SendSSHPublicKey'} action`, 400);
    case '500': case '503': return new ApiError('ServiceException', 'Unable to process the request right now. Try again later.', 500);
    default: return undefined;
  }
}
