// `emma users` and lab-server `emma serve` as an administrator uses them: a real process and database file.
import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { request } from 'node:http';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { repoRoot, tempDir } from '../support/paths.js';

function emma(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [join(repoRoot, 'bin', 'emma.mjs'), ...args], { encoding: 'utf8', cwd: repoRoot, timeout: 120_000, input });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('emma users', () => {
  it('adds, lists, re-keys and disables accounts; passwords are shown once and stored only hashed', () => {
    const t = tempDir();
    try {
      const db = join(t.dir, 'emma.sqlite');
      const add = emma(['users', 'add', 'olga', '--role', 'operator', '--db', db]);
      expect(add.code, add.stderr).toBe(0);
      const password = /password \(shown only now\): (\S+)/.exec(add.stdout)?.[1];
      expect(password).toBeTruthy();
      expect(emma(['users', 'add', 'lena', '--role', 'lead', '--password-stdin', '--db', db], 'a-chosen-password\n').code).toBe(0);
      expect(emma(['users', 'add', 'x', '--role', 'admin', '--db', db]).code).not.toBe(0);
      expect(emma(['users', 'add', 'olga', '--role', 'lead', '--db', db]).stderr).toMatch(/already/);
      expect(emma(['users', 'add', 'short', '--role', 'lead', '--password-stdin', '--db', db], 'abc\n').stderr).toMatch(/at least 10/);
      const list = JSON.parse(emma(['users', 'list', '--json', '--db', db]).stdout) as { name: string; role: string; disabled: boolean }[];
      expect(list.map((u) => [u.name, u.role, u.disabled])).toEqual([
        ['lena', 'lead', false],
        ['olga', 'operator', false],
      ]);
      const passwd = emma(['users', 'passwd', 'olga', '--db', db]);
      expect(passwd.code).toBe(0);
      expect(passwd.stdout).not.toContain(password!);
      expect(emma(['users', 'disable', 'olga', '--db', db]).stdout).toMatch(/disabled/);
      const raw = new Database(db, { readonly: true });
      const rows = raw.prepare(`SELECT name, password_hash, disabled FROM users ORDER BY name`).all() as {
        name: string;
        password_hash: string;
        disabled: number;
      }[];
      raw.close();
      expect(rows.every((r) => r.password_hash.startsWith('scrypt$') && !r.password_hash.includes('a-chosen-password'))).toBe(true);
      expect(rows.find((r) => r.name === 'olga')!.disabled).toBe(1);
    } finally {
      t.cleanup();
    }
  });

  it('refuses lab-server mode without data folders or without HTTPS, saying what to give', () => {
    const t = tempDir();
    try {
      const db = join(t.dir, 'emma.sqlite');
      const noRoot = emma(['serve', '--host', '0.0.0.0', '--db', db]);
      expect(noRoot.code).not.toBe(0);
      expect(noRoot.stderr).toMatch(/--data-root/);
      mkdirSync(join(t.dir, 'data'));
      const noTls = emma(['serve', '--host', '0.0.0.0', '--data-root', join(t.dir, 'data'), '--db', db]);
      expect(noTls.code).not.toBe(0);
      expect(noTls.stderr).toMatch(/--tls-cert/);
      expect(noTls.stderr).toMatch(/openssl req -x509/);
      const missing = emma(['serve', '--host', '0.0.0.0', '--data-root', join(t.dir, 'nope'), '--plain-http', '--db', db]);
      expect(missing.stderr).toMatch(/does not exist/);
    } finally {
      t.cleanup();
    }
  });
});

/** Starts `emma serve`, returns its output once it is ready, and a stop function (SIGTERM to that process only). */
async function serve(args: string[]): Promise<{ out: string; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, [join(repoRoot, 'bin', 'emma.mjs'), 'serve', ...args], { cwd: repoRoot });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  await new Promise<void>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`emma serve did not start: ${out}`)), 60_000);
    const check = () => {
      if (out.includes('Press Ctrl+C')) {
        clearTimeout(timer);
        ok();
      }
    };
    child.stdout.on('data', check);
    child.on('exit', () => fail(new Error(`emma serve exited: ${out}`)));
  });
  return {
    out,
    stop: () =>
      new Promise<void>((ok) => {
        child.once('exit', () => ok());
        child.kill('SIGTERM');
      }),
  };
}

function postJson(url: string, path: string, body: unknown): Promise<number> {
  const u = new URL(url);
  return new Promise((ok, fail) => {
    const req = request(
      { host: '127.0.0.1', port: u.port, path, method: 'POST', headers: { host: u.host, origin: u.origin, 'content-type': 'application/json' } },
      (res) => {
        res.resume();
        res.on('end', () => ok(res.statusCode ?? 0));
      },
    );
    req.on('error', fail);
    req.end(JSON.stringify(body));
  });
}

describe('emma serve in lab-server mode', () => {
  it('creates the lead "admin" at first start; without a terminal its password goes to an owner-only file, not the log', async () => {
    const t = tempDir();
    try {
      mkdirSync(join(t.dir, 'data'));
      const db = join(t.dir, 'emma.sqlite');
      const args = ['--lab', '--host', '127.0.0.1', '--port', '0', '--data-root', join(t.dir, 'data'), '--plain-http', '--db', db];
      const first = await serve(args);
      const url = /lab-server mode\. Operators open:\s+(\S+)/.exec(first.out)?.[1];
      const file = /"admin"\. Its password is in\s+(\S+)/.exec(first.out)?.[1];
      expect(url, first.out).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      expect(file, first.out).toBe(join(t.dir, 'initial-admin-password.txt'));
      expect(statSync(file!).mode & 0o777).toBe(0o600);
      const password = readFileSync(file!, 'utf8').trim();
      expect(password.length).toBeGreaterThanOrEqual(16);
      expect(first.out).not.toContain(password);
      expect(await postJson(url!, '/api/login', { user: 'admin', password: 'wrong-password' })).toBe(401);
      expect(await postJson(url!, '/api/login', { user: 'admin', password })).toBe(200);
      await first.stop();
      const second = await serve(args);
      expect(second.out).not.toMatch(/with the password|Its password is in/);
      await second.stop();
      // A new admin password makes the file useless, so it goes.
      const passwd = emma(['users', 'passwd', 'admin', '--db', db]);
      expect(passwd.code, passwd.stderr).toBe(0);
      expect(passwd.stdout).toContain(`removed ${file}`);
      expect(existsSync(file!)).toBe(false);
    } finally {
      t.cleanup();
    }
  });

  it('shows the first admin password when its file cannot be written, so it is never lost', async () => {
    const t = tempDir();
    try {
      mkdirSync(join(t.dir, 'data'));
      mkdirSync(join(t.dir, 'initial-admin-password.txt')); // a folder where the file would go
      const args = ['--lab', '--host', '127.0.0.1', '--port', '0', '--data-root', join(t.dir, 'data'), '--plain-http', '--db', join(t.dir, 'emma.sqlite')];
      const first = await serve(args);
      expect(first.out).toMatch(/Could not write the first admin password to a file/);
      const url = /lab-server mode\. Operators open:\s+(\S+)/.exec(first.out)?.[1];
      const password = /"admin" with the password\s+(\S+)/.exec(first.out)?.[1];
      expect(password, first.out).toBeTruthy();
      expect(await postJson(url!, '/api/login', { user: 'admin', password })).toBe(200);
      await first.stop();
    } finally {
      t.cleanup();
    }
  });
});
