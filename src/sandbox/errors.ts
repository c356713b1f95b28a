// One error type for every AWS-shaped failure; http.ts renders it per service.
export class ApiError extends Error {
  constructor(readonly code: string, message: string, readonly status = 400) {
    super(message);
  }
}

export const dryRunOk = (): ApiError => new ApiError('DryRunOperation', 'Request would have succeeded, but DryRun flag is set.', 412);
