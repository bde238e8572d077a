// `emma users ...`: lab-server accounts, managed on the server machine (whoever can run this can read the
// database anyway). Passwords are generated and shown once unless --password-stdin gives one.
import { parseArgs } from 'node:util';
import { openDatabase } from '../core/db/database.js';
import { resolveDataLocation } from '../core/paths.js';
import { initialPasswordPath, removeInitialPassword } from '../server/auth/initial-password.js';
import { isRole, ROLES, UserStore, type User } from '../server/auth/users.js';

export const USERS_USAGE = `emma users — lab-server accounts

usage:
  emma users add NAME --role operator|lead [--password-stdin] [--db FILE]
  emma users list [--json] [--db FILE]
  emma users passwd NAME [--password-stdin] [--db FILE]     new password; the user's sessions end
  emma users disable NAME [--db FILE]                       sign-in refused, sessions end at once
  emma users enable NAME [--db FILE]
  emma users role NAME --role operator|lead [--db FILE]

Operators import, review, chat and train; leads also switch egress, change the taxonomy, teacher settings and
prices, activate model versions, export and read the audit log.`;

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

function show(u: User): string {
  return `${u.name.padEnd(20)} ${u.role.padEnd(9)} ${u.disabled ? 'disabled' : 'active  '} last sign-in ${u.lastLoginAt ?? 'never'}`;
}

export async function usersCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (!sub || sub === '--help' || sub === 'help') {
    process.stdout.write(`${USERS_USAGE}\n`);
    return sub ? 0 : 2;
  }
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      db: { type: 'string' },
      role: { type: 'string' },
      json: { type: 'boolean', default: false },
      'password-stdin': { type: 'boolean', default: false },
    },
  });
  const needName = (): string => {
    if (positionals.length !== 1) throw new Error(`emma users ${sub} takes one user name`);
    return positionals[0];
  };
  const needRole = () => {
    if (!isRole(values.role)) throw new Error(`--role must be one of: ${ROLES.join(', ')}`);
    return values.role;
  };
  const dbPath = resolveDataLocation(values.db).dbPath;
  const db = openDatabase(dbPath);
  const users = new UserStore(db);
  try {
    switch (sub) {
      case 'add': {
        const name = needName();
        const role = needRole();
        const given = values['password-stdin'] ? await readStdin() : undefined;
        const { user, password } = await users.add(name, role, given);
        console.log(`added ${user.name} (${user.role})`);
        if (!given) console.log(`password (shown only now): ${password}`);
        return 0;
      }
      case 'list': {
        const list = users.list();
        if (values.json) console.log(JSON.stringify(list));
        else console.log(list.length ? list.map(show).join('\n') : 'no accounts yet (the first `emma serve` in lab-server mode creates "admin")');
        return 0;
      }
      case 'passwd': {
        const name = needName();
        const given = values['password-stdin'] ? await readStdin() : undefined;
        const { user, password } = await users.setPassword(name, given);
        console.log(`new password for ${user.name}; their sessions have ended`);
        if (!given) console.log(`password (shown only now): ${password}`);
        // The first start's password file holds a password that no longer works: it goes.
        if (user.name === 'admin' && removeInitialPassword(dbPath)) console.log(`removed ${initialPasswordPath(dbPath)}`);
        return 0;
      }
      case 'disable':
      case 'enable': {
        const user = users.setDisabled(needName(), sub === 'disable');
        console.log(`${user.name} is ${user.disabled ? 'disabled; their sessions have ended' : 'enabled'}`);
        return 0;
      }
      case 'role': {
        const user = users.setRole(needName(), needRole());
        console.log(`${user.name} is now ${user.role}`);
        return 0;
      }
      default:
        throw new Error(`unknown users command: ${sub} (emma users --help)`);
    }
  } finally {
    db.close();
  }
}
