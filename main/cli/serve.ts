import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { openDatabase } from '../core/db/database.js';
import { startCoreWorker } from '../core/host/client.js';
import { PathConfinement } from '../server/auth/confine.js';
import { writeInitialPassword } from '../server/auth/initial-password.js';
import { ensureFirstAdmin } from '../server/auth/users.js';
import { startServer, type LabServerOptions } from '../server/http-server.js';

/** The built renderer, whether we run from source (main/cli) or compiled (dist/main/cli). */
export function findRendererDir(): string {
  for (const rel of ['../../dist/renderer', '../../renderer']) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(`${dir}/index.html`) && !existsSync(`${dir}/src`)) return dir;
  }
  return fileURLToPath(new URL('../../dist/renderer', import.meta.url));
}

export interface ServeOptions {
  db?: string;
  host?: string;
  port?: number;
  reason?: string;
  /** Lab-server mode even on loopback (a reverse proxy in front, or trying it out). */
  lab?: boolean;
  dataRoots?: string[];
  publicHosts?: string[];
  tlsCert?: string;
  tlsKey?: string;
  /** Lab-server mode without TLS: only behind a proxy that terminates HTTPS. */
  plainHttp?: boolean;
}

export class ServeUsageError extends Error {}

const OPENSSL_HINT =
  'Make a certificate with openssl, e.g.\n' +
  '  openssl req -x509 -newkey rsa:3072 -nodes -days 825 -keyout emma.key -out emma.crt \\\n' +
  '    -subj "/CN=emma.lab.example" -addext "subjectAltName=DNS:emma.lab.example,IP:192.0.2.10"\n' +
  'and start with --tls-cert emma.crt --tls-key emma.key (or use your site certificate).';

/** Lab-server settings from the command line; throws a usage error that says what is missing. */
export function labOptions(options: ServeOptions): LabServerOptions {
  if (!options.dataRoots?.length) {
    throw new ServeUsageError('Lab-server mode needs --data-root DIR: the folder(s) that imports may read and exports may write.');
  }
  new PathConfinement(options.dataRoots); // says which folder is missing
  let tls: LabServerOptions['tls'];
  if (options.tlsCert || options.tlsKey) {
    if (!options.tlsCert || !options.tlsKey) throw new ServeUsageError('Give both --tls-cert and --tls-key.');
    tls = { cert: readFileSync(options.tlsCert), key: readFileSync(options.tlsKey) };
  } else if (!options.plainHttp) {
    throw new ServeUsageError(
      `Lab-server mode serves HTTPS: give --tls-cert FILE --tls-key FILE (PEM).\n${OPENSSL_HINT}\n` +
        'Behind a proxy that already terminates HTTPS, add --plain-http instead.',
    );
  }
  return { dataRoots: options.dataRoots, publicHosts: options.publicHosts, tls };
}

/** Browser mode and lab-server mode: the same UI over HTTP. Runs until interrupted. */
export async function serveCommand(options: ServeOptions): Promise<number> {
  const loopback = !options.host || ['127.0.0.1', 'localhost', '::1'].includes(options.host);
  const labMode = options.lab || !loopback;
  const lab = labMode ? labOptions(options) : undefined;
  const confinement = lab ? new PathConfinement(lab.dataRoots) : null;
  // The core runs in a worker thread: decoding, SQLite and ONNX never hold up this event loop.
  const core = await startCoreWorker({
    dbPath: options.db,
    mode: labMode ? 'lab-server' : 'browser',
    linkRoots: confinement ? [...confinement.roots] : undefined,
  });
  // The server's own small tables (accounts, sessions) and the upload sweep use a second connection to the file
  // the worker has just opened, checked and migrated.
  const db = openDatabase(core.location.dbPath, { quickCheck: false });
  const admin = labMode ? await ensureFirstAdmin(db) : null;
  const server = await startServer({ core, db, rendererDir: findRendererDir(), host: options.host, port: options.port, lab });
  const reason = options.reason ?? process.env.EMMA_START_REASON;
  if (reason) console.log(reason);
  if (server.lab) {
    console.log(`Emma is running in lab-server mode. Operators open:\n\n  ${server.url}\n`);
    console.log(`Data folders (imports and exports stay inside): ${server.lab.paths.roots.join(', ')}`);
    if (!lab?.tls) console.log('Plain HTTP: only behind a proxy that terminates HTTPS for this address.');
    if (admin) {
      // Not a terminal (a service's log): the password goes to an owner-only file, not into the log. The account
      // exists already and only its hash is stored, so if the file cannot be written the password is shown instead.
      let file: string | null = null;
      let unwritten: string | null = null;
      if (!process.stdout.isTTY) {
        try {
          file = writeInitialPassword(core.location.dbPath, admin.password);
        } catch (e) {
          unwritten = e instanceof Error ? e.message : String(e);
        }
      }
      if (file) {
        console.log(`\nFirst start: created the lead account "admin". Its password is in\n\n  ${file}\n`);
        console.log('(readable by this system account only; not written to this output). Sign in, then set a new one with');
        console.log('`emma users passwd admin`, which deletes that file. Add accounts with `emma users add NAME --role operator|lead`.');
      } else {
        if (unwritten) console.log(`\nCould not write the first admin password to a file (${unwritten}); it is shown here instead.`);
        console.log(`\nFirst start: created the lead account "admin" with the password\n\n  ${admin.password}\n`);
        console.log('It is shown only now. Add accounts with `emma users add NAME --role operator|lead`.');
      }
    }
  } else {
    console.log(`Emma is running in browser mode. Open this address in Chrome, Edge or Firefox:\n\n  ${server.openUrl}\n`);
    console.log('The address works once: the browser that opens it keeps access for this run.');
  }
  console.log(`Data: ${core.location.dbPath}`);
  // A damaged file never gets here (the core refuses it); a file too large to check at open says so.
  if (core.openNote) console.log(`Note: ${core.openNote}`);
  console.log('Press Ctrl+C to stop.');
  const stop = async () => {
    await server.close();
    db.close();
    await core.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
  return 0;
}

export const SERVE_USAGE = `  emma serve [--db FILE] [--host 127.0.0.1] [--port N]     browser mode (one user, one-time address)
  emma serve --host 0.0.0.0 --data-root DIR [--data-root DIR2] --tls-cert F --tls-key F
             [--public-host name[:port]] [--port N] [--plain-http] [--lab]   lab-server mode (accounts, HTTPS)
  emma users add|list|passwd|disable|enable|role ...       lab-server accounts (emma users --help)`;

/** `emma serve ...` with its own options. */
export async function serveCli(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      db: { type: 'string' },
      host: { type: 'string' },
      port: { type: 'string' },
      lab: { type: 'boolean', default: false },
      'data-root': { type: 'string', multiple: true },
      'public-host': { type: 'string', multiple: true },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      'plain-http': { type: 'boolean', default: false },
    },
  });
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) throw new ServeUsageError('--port must be 0–65535');
  return serveCommand({
    db: values.db,
    host: values.host,
    port,
    lab: values.lab,
    dataRoots: values['data-root'],
    publicHosts: values['public-host'],
    tlsCert: values['tls-cert'],
    tlsKey: values['tls-key'],
    plainHttp: values['plain-http'],
  });
}
