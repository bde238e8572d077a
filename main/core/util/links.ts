// Lab-server mode confines reads to its data folders (CoreOptions.allowLinkTarget): a symbolic link met inside a
// folder the server already confined is followed only to a real path inside them. One rule for every folder walk
// (imports, masks, evaluation), with one reason in the reports.
import { lstat, realpath } from 'node:fs/promises';

export type LinkRule = (realPath: string) => boolean;

export const LINK_OUTSIDE = 'link leads outside the data folders: not followed';

/** Whether `path` is a link that must not be followed: its real target is not allowed (or cannot be resolved). */
export async function linkRefused(path: string, allow: LinkRule | undefined): Promise<boolean> {
  if (!allow) return false;
  if (!(await lstat(path).catch(() => null))?.isSymbolicLink()) return false;
  const real = await realpath(path).catch(() => null);
  return !real || !allow(real);
}
