// Raw HTTP(S) requests for server tests: headers and paths exactly as given (fetch would normalise them), and
// bodies streamed from a generator so large uploads never sit in the test's memory.
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface RawOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** Stream this many bytes (1 MiB chunks of one repeated buffer) as the body. */
  streamBytes?: number;
  /** Cut the connection after this many streamed bytes (an aborted upload). */
  abortAfter?: number;
  https?: boolean;
  /** Trust this CA (PEM) for HTTPS. */
  ca?: string | Buffer;
  /** Send from this local address (another 127.x address: another computer, as the server sees it). */
  localAddress?: string;
}

export function rawRequest(port: number, path: string, options: RawOptions = {}): Promise<RawResponse> {
  return new Promise((ok, fail) => {
    const make = options.https ? httpsRequest : httpRequest;
    const req = make(
      {
        host: '127.0.0.1',
        port,
        path,
        method: options.method ?? 'GET',
        headers: { host: `127.0.0.1:${port}`, ...options.headers },
        ca: options.ca,
        localAddress: options.localAddress,
        servername: options.https ? 'localhost' : undefined,
      },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => ok({ status: res.statusCode ?? 0, headers: res.headers, body }));
        res.on('error', fail);
      },
    );
    req.on('error', fail);
    if (options.body) req.write(options.body);
    if (options.streamBytes === undefined) return void req.end();
    const chunk = Buffer.alloc(1024 * 1024, 0x5a);
    let sent = 0;
    const pump = (): void => {
      while (sent < options.streamBytes!) {
        if (options.abortAfter !== undefined && sent >= options.abortAfter) {
          req.destroy();
          return ok({ status: 0, headers: {}, body: 'aborted by the test' });
        }
        const n = Math.min(chunk.length, options.streamBytes! - sent);
        sent += n;
        if (!req.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return void req.once('drain', pump);
      }
      req.end();
    };
    pump();
  });
}
