// Both ends of a copy behind one small interface (TransferFs): the local disk (node:fs) and an
// instance over SFTP (ssh2's SFTPWrapper). Reads and writes are positional, so a copy can keep many
// requests in flight. Errors come back as TransferFsError with a short cause ("No such file or directory").
// The two ends live in local-fs.ts and sftp-fs.ts; the errors in fs-error.ts.
export { TransferConnectionLost, TransferFsError } from './fs-error.js';
export { localFs } from './local-fs.js';
export { sftpFs } from './sftp-fs.js';

export interface FileStat {
  size: number;
  /** Full st_mode (type and permission bits). */
  mode: number;
  /** Seconds since the epoch. */
  atime: number;
  mtime: number;
  isDirectory: boolean;
  isFile: boolean;
  isSymlink: boolean;
}

export interface DirEntry {
  name: string;
  /** lstat-style: a symlink shows as one. */
  stat: FileStat;
}

export interface SetAttrs {
  mode?: number;
  atime?: number;
  mtime?: number;
}

export interface ReadHandle {
  /** Reads up to `len` bytes at `pos` into buf[off..]; 0 at end of file. */
  read(buf: Buffer, off: number, len: number, pos: number): Promise<number>;
  close(): Promise<void>;
}

export interface WriteHandle {
  write(buf: Buffer, off: number, len: number, pos: number): Promise<void>;
  setAttrs(a: SetAttrs): Promise<void>;
  close(): Promise<void>;
}

export interface TransferFs {
  /** "lab" for an instance; undefined for the local disk. */
  readonly host?: string;
  /** Largest read/write one request should carry (the server's limit). */
  readonly maxChunk: number;
  /** How a path is shown in messages: "lab:logs/a.log" or "logs/a.log", control characters escaped (names.ts). */
  display(path: string): string;
  join(...parts: string[]): string;
  dirname(path: string): string;
  basename(path: string): string;
  /** Follows symlinks; undefined when nothing is there. */
  stat(path: string): Promise<FileStat | undefined>;
  /** Entries of a folder without `.` and `..`. */
  list(path: string): Promise<DirEntry[]>;
  mkdir(path: string, mode?: number): Promise<void>;
  /** `size`: how much the copy will read (a hint: a pool of channels spreads large files). */
  openRead(path: string, size?: number): Promise<ReadHandle>;
  /** `create`: a new file (fails if it exists); `append`: an existing file, written at any position. */
  openWrite(path: string, how: 'create' | 'append', mode: number, size?: number): Promise<WriteHandle>;
  /** Renames over an existing target. */
  rename(from: string, to: string): Promise<void>;
  remove(path: string): Promise<void>;
  setAttrs(path: string, a: SetAttrs): Promise<void>;
  /** True once the connection behind it is gone (every further call would fail). */
  lost(): boolean;
}
