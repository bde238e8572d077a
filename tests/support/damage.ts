// Real damaged SQLite files for the corruption tests (issue 12, point 4): a filled library file, then bytes
// overwritten in its middle as a failing disk or an interrupted copy would leave them.
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { openDatabase } from '../../main/core/db/database.js';

/** A real library-sized file: enough rows that the middle of the file holds table pages. */
export function filledDatabase(file: string, rows = 3000): void {
  const db = openDatabase(file);
  const ins = db.prepare(
    `INSERT INTO images (sha256, path, file_name, file_size, format, width, height, bit_depth, metadata_json, imported_at)
     VALUES (?, ?, ?, 1, 'tiff', 2, 2, 8, ?, 'now')`,
  );
  db.transaction(() => {
    for (let i = 0; i < rows; i++) ins.run(`sha-${i}`, `/data/img-${i}.tif`, `img-${i}.tif`, JSON.stringify({ note: 'x'.repeat(200), i }));
  })();
  db.close(); // checkpoints the WAL into the main file
}

/** Overwrites `bytes` in the middle of the file with a non-zero pattern, as a failing disk or a bad copy would. */
export function damageMiddle(file: string, bytes = 8192): void {
  const size = readFileSync(file).length;
  const fd = openSync(file, 'r+');
  try {
    writeSync(fd, Buffer.alloc(bytes, 0xa5), 0, bytes, Math.floor(size / 2 / 4096) * 4096);
  } finally {
    closeSync(fd);
  }
}
