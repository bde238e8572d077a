// The first lab-server start generates the lead "admin"'s password. In a terminal it is shown once; a server
// started by a service manager writes its output to a log that others read and keep, so there the password goes to
// a file beside the database that only this system account can read, and the log names the file. Setting a new
// admin password (`emma users passwd admin`) removes the file.
import { closeSync, constants, openSync, rmSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';

export function initialPasswordPath(dbPath: string): string {
  return join(dirname(dbPath), 'initial-admin-password.txt');
}

/** Writes the password (owner read/write only, a file of that name replaced, never followed if it is a link). */
export function writeInitialPassword(dbPath: string, password: string): string {
  const path = initialPasswordPath(dbPath);
  rmSync(path, { force: true });
  // O_EXCL after the removal: a file or link put there meanwhile makes this fail instead of writing through it.
  const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0), 0o600);
  try {
    writeSync(fd, `${password}\n`);
  } finally {
    closeSync(fd);
  }
  return path;
}

/** Removes the file if it is there; true when it was. */
export function removeInitialPassword(dbPath: string): boolean {
  const path = initialPasswordPath(dbPath);
  try {
    rmSync(path);
    return true;
  } catch {
    return false;
  }
}
