// What was dropped: in Electron the real paths (files and folders alike), in a browser the File objects,
// folders walked through the File System entries API.
import { pathForFile } from '../api/index.js';
import { isImportableName, isJunkName } from '../lib/upload.js';

export interface DroppedFile {
  file: File;
  /** Path relative to what was dropped ("wafer3/img_001.tif"), for reports. */
  relativePath: string;
}

export type DropResult = { kind: 'paths'; paths: string[] } | { kind: 'files'; files: DroppedFile[]; skipped: string[] };

function readAllEntries(reader: FileSystemDirectoryReader): Promise<FileSystemEntry[]> {
  return new Promise((resolve, reject) => {
    const all: FileSystemEntry[] = [];
    // readEntries answers in batches (100 in Chromium) until it answers an empty one.
    const next = () =>
      reader.readEntries((batch) => {
        if (batch.length === 0) resolve(all);
        else {
          all.push(...batch);
          next();
        }
      }, reject);
    next();
  });
}

function entryFile(entry: FileSystemFileEntry): Promise<File> {
  return new Promise((resolve, reject) => entry.file(resolve, reject));
}

async function walk(entry: FileSystemEntry, prefix: string, out: DroppedFile[], skipped: string[]): Promise<void> {
  const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
  if (entry.isFile) {
    if (isJunkName(entry.name)) return;
    if (!isImportableName(entry.name)) {
      skipped.push(rel);
      return;
    }
    try {
      out.push({ file: await entryFile(entry as FileSystemFileEntry), relativePath: rel });
    } catch {
      skipped.push(rel);
    }
  } else if (entry.isDirectory) {
    const children = await readAllEntries((entry as FileSystemDirectoryEntry).createReader());
    for (const child of children) await walk(child, rel, out, skipped);
  }
}

/** Must be called synchronously inside the drop handler: the DataTransfer is emptied afterwards. */
export function collectDrop(dataTransfer: DataTransfer): Promise<DropResult> {
  const files = Array.from(dataTransfer.files);
  const paths = files.map((f) => pathForFile(f));
  if (files.length > 0 && paths.every((p): p is string => !!p)) {
    return Promise.resolve({ kind: 'paths', paths });
  }
  // Browser: take the entries now (they die with the event), read them afterwards.
  const entries = Array.from(dataTransfer.items)
    .filter((item) => item.kind === 'file')
    .map((item) => item.webkitGetAsEntry?.() ?? null);
  return (async () => {
    const out: DroppedFile[] = [];
    const skipped: string[] = [];
    if (entries.length && entries.every((e) => e !== null)) {
      for (const entry of entries) await walk(entry as FileSystemEntry, '', out, skipped);
    } else {
      for (const file of files) {
        if (isJunkName(file.name)) continue;
        if (isImportableName(file.name)) out.push({ file, relativePath: file.name });
        else skipped.push(file.name);
      }
    }
    return { kind: 'files', files: out, skipped };
  })();
}

export function hasFiles(dataTransfer: DataTransfer | null): boolean {
  return !!dataTransfer && Array.from(dataTransfer.types).includes('Files');
}
