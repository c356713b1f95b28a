// Maps SFTP paths into an instance's filesystem root and refuses any path that would leave it:
// ".." above "/", and symlinks whose real target lies outside the root.
import { lstat, realpath } from 'node:fs/promises';
import { basename, dirname, join, posix, relative, sep } from 'node:path';

export class JailError extends Error {
  readonly code = 'EACCES';
  constructor(path: string) {
    super(`permission denied: ${path} is outside the instance filesystem`);
  }
}

export class Jail {
  private constructor(
    /** The real (symlink-free) host path of the instance root. */
    readonly realRoot: string,
    /** Virtual home directory, e.g. "/home/ubuntu": where relative paths start. */
    readonly home: string,
  ) {}

  static async create(rootDir: string, user: string): Promise<Jail> {
    return new Jail(await realpath(rootDir), `/home/${user}`);
  }

  /** Normalizes a client path to an absolute virtual path; ".." above "/" is refused, not clamped. */
  virtual(p: string): string {
    const parts: string[] = [];
    const start = p.startsWith('/') ? [] : this.home.split('/').filter(Boolean);
    parts.push(...start);
    for (const seg of p.split('/')) {
      if (seg === '' || seg === '.') continue;
      if (seg === '..') {
        if (parts.length === 0) throw new JailError(p);
        parts.pop();
      } else parts.push(seg);
    }
    return '/' + parts.join('/');
  }

  /** Virtual path of a real host path inside the root, or null when it lies outside. */
  toVirtual(hostPath: string): string | null {
    if (hostPath === this.realRoot) return '/';
    if (!hostPath.startsWith(this.realRoot + sep)) return null;
    return '/' + relative(this.realRoot, hostPath).split(sep).join('/');
  }

  inside(hostPath: string): boolean {
    return hostPath === this.realRoot || hostPath.startsWith(this.realRoot + sep);
  }

  /**
   * Host path for a client path. The parent directory's real path must be inside the root; with
   * follow=true the target's real path must be too (a dangling symlink is refused: opening it with
   * O_CREAT would create a file wherever it points).
   */
  async resolve(p: string, follow: boolean): Promise<string> {
    const v = this.virtual(p);
    if (v === '/') return this.realRoot;
    const hp = join(this.realRoot, ...posix.normalize(v).split('/').filter(Boolean));
    const parent = await this.realExisting(dirname(hp));
    if (!this.inside(parent)) throw new JailError(p);
    const target = join(parent, basename(hp));
    if (!follow) return target;
    try {
      const real = await realpath(target);
      if (!this.inside(real)) throw new JailError(p);
      return real;
    } catch (err) {
      if (err instanceof JailError) throw err;
      const st = await lstat(target).catch(() => null);
      if (st?.isSymbolicLink()) throw new JailError(p);
      return target;
    }
  }

  /** Real path of the deepest existing ancestor joined with the missing rest. */
  private async realExisting(p: string): Promise<string> {
    const rest: string[] = [];
    let cur = p;
    for (;;) {
      try {
        const real = await realpath(cur);
        return rest.length ? join(real, ...rest.reverse()) : real;
      } catch {
        const up = dirname(cur);
        if (up === cur) return p;
        rest.push(basename(cur));
        cur = up;
      }
    }
  }
}
