// Child process for the backup test: writes to a real Emma database without pause, in transactions of BATCH rows
// (one batch = one consistent state), until killed. Prints "writing" once the first batch is committed.
import Database from 'better-sqlite3';

export const BATCH = 50;
const db = new Database(process.argv[2]);
db.pragma('busy_timeout = 5000');
const ins = db.prepare(`INSERT INTO audit_log (at, actor, action, details_json) VALUES ('now', 'writer', ?, ?)`);
const batch = db.transaction((k: number) => {
  for (let i = 0; i < BATCH; i++) ins.run(`batch-${k}`, JSON.stringify({ i, pad: 'y'.repeat(300) }));
});
for (let k = 0; ; k++) {
  batch(k);
  if (k === 0) process.stdout.write('writing\n');
  if (k % 20 === 0) await new Promise((r) => setImmediate(r));
}
