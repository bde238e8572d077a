// Messages across the core's thread boundary. The core runs in a worker thread (core-worker.ts); the Electron
// main process, the HTTP server and the CLI hold a CoreClient (client.ts). Calls carry the same untrusted
// arguments the bindings received and come back as the same envelopes, so validation happens once, in the worker.
import type { EmmaEvent, Envelope, ErrorInfo, MediaKind } from '../contract.js';
import type { DataLocation } from '../paths.js';

export interface WorkerInit {
  dbPath?: string;
  mode: string;
  /** The key provider stays on the host's side (Electron's safeStorage exists only there); null = the core's default. */
  hostKey: { describe: string; canSet: boolean } | null;
  /** Lab-server mode: real paths of the data folders that a symbolic link met during an import may lead into. */
  linkRoots?: string[];
  /** Background work switches (createCore's options of the same names); absent: the mode's defaults. */
  background?: { autoClassify?: boolean; autoMeasure?: boolean; autoMeasureDelayMs?: number; prewarm?: boolean };
}

export type ToWorker =
  | { type: 'call'; id: number; method: unknown; args: unknown }
  | { type: 'media'; id: number; imageId: number; kind: MediaKind }
  | { type: 'key-reply'; id: number; ok: boolean; key?: string | null; error?: string }
  | { type: 'close'; id: number };

export type FromWorker =
  | { type: 'ready'; location: DataLocation; openNote: string | null }
  | { type: 'init-failed'; code: string; message: string }
  | { type: 'reply'; id: number; envelope: Envelope<unknown> }
  | { type: 'media-reply'; id: number; path?: string; error?: ErrorInfo }
  | { type: 'event'; event: EmmaEvent }
  | { type: 'key'; id: number; op: 'get' | 'set'; key?: string | null }
  | { type: 'closed'; id: number };
