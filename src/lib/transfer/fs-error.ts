// The errors both ends of a copy raise (re-exported by fs.ts and engine.ts).

/** A failed file operation; `cause` is short and human ("Permission denied"). */
export class TransferFsError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
    /** ENOENT, EACCES... or SFTP status names mapped onto them. */
    readonly code?: string,
  ) {
    super(`${path}: ${reason}`);
    this.name = 'TransferFsError';
  }
}

/** Raised when the connection under a TransferFs is gone: the whole copy stops (exit 255). */
export class TransferConnectionLost extends Error {
  constructor(readonly where: string) {
    super(`connection to ${where} lost`);
    this.name = 'TransferConnectionLost';
  }
}
