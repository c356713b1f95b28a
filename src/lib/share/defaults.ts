/** How long an idle shared connection's master stays (OpenSSH's ControlPersist), unless told otherwise. */
export const DEFAULT_PERSIST_MS = 10 * 60_000;
