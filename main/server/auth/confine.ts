// Lab-server mode reads and writes only inside configured data folders. Paths are resolved (a relative path
// against the first folder, never the server's working directory), symbolic links are followed to their real
// target, and the result must lie inside a folder's real path. An input outside the folders and one that does
// not exist get the same answer, so the server cannot be used to learn whether /etc/shadow exists.
import { realpathSync } from 'node:fs';
import { lstat, realpath } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { CoreError } from '../../core/errors.js';

export class ConfinementError extends CoreError<'outside_data_folders'> {
  constructor(message: string) {
    super('outside_data_folders', message);
  }
}

export class PathConfinement {
  /** Real paths of the data folders. */
  readonly roots: readonly string[];

  constructor(roots: readonly string[]) {
    if (!roots.length) throw new Error('Lab-server mode needs at least one data folder (--data-root DIR).');
    this.roots = roots.map((r) => {
      try {
        return realpathSync(resolve(r));
      } catch {
        throw new Error(`The data folder ${r} does not exist; create it or name another with --data-root.`);
      }
    });
  }

  /** Whether a real (symlink-free) path lies inside one of the data folders. */
  inside(realPath: string): boolean {
    return this.roots.some((root) => {
      const rel = relative(root, realPath);
      return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel) && !rel.startsWith(sep));
    });
  }

  /** An existing file or folder inside the data folders, as its real path. */
  async input(path: string): Promise<string> {
    let real: string;
    try {
      real = await realpath(this.absolute(path));
    } catch {
      throw this.refusal(path, 'is not an existing file or folder inside');
    }
    if (!this.inside(real)) throw this.refusal(path, 'is not an existing file or folder inside');
    return real;
  }

  /** A place to write inside the data folders (it may not exist yet), as a real path. */
  async output(path: string): Promise<string> {
    const abs = this.absolute(path);
    // Walk up to the nearest part that exists and take its real path: a link anywhere on the way is resolved.
    let existing = abs;
    const rest: string[] = [];
    for (;;) {
      try {
        await lstat(existing);
        break;
      } catch {
        const parent = dirname(existing);
        if (parent === existing) throw this.refusal(path, 'is not inside');
        rest.unshift(basename(existing));
        existing = parent;
      }
    }
    let real: string;
    try {
      real = await realpath(existing);
    } catch {
      // A dangling link: where it points is not ours to create.
      throw this.refusal(path, 'is not inside');
    }
    const target = rest.length ? join(real, ...rest) : real;
    if (!this.inside(target)) throw this.refusal(path, 'is not inside');
    return target;
  }

  private absolute(path: string): string {
    return resolve(this.roots[0], path);
  }

  private refusal(path: string, what: string): ConfinementError {
    const shown = path.length > 200 ? `${path.slice(0, 200)}…` : path;
    return new ConfinementError(
      `Refused: "${shown}" ${what} the data folders of this lab server (${this.roots.join(', ')}). ` +
        'Put the files there (or ask whoever runs the server to add a folder with --data-root).',
    );
  }
}
