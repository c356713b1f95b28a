// The permission bits a copied file or folder gets: one rule, pure.

export interface ModeRule {
  /** -p: keep the source's bits (umask not applied), as scp -p does. */
  preserve: boolean;
  /** The source is an instance: its setuid/setgid/sticky bits are never copied (OpenSSH's sftp drops them too). */
  fromServer: boolean;
  /** This process's umask: without -p it applies to every copy, local or remote, as scp's sink applies its own. */
  umask: number;
}

/** The final mode bits for a copy of something with `srcMode` (a full st_mode). */
export function copiedMode(srcMode: number, r: ModeRule): number {
  const bits = srcMode & (r.fromServer ? 0o777 : 0o7777);
  return r.preserve ? bits : bits & 0o777 & ~r.umask;
}

/** This process's umask (read without changing it for good). */
export function currentUmask(): number {
  const m = process.umask(0o022);
  process.umask(m);
  return m;
}
