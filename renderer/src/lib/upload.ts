// Planning browser uploads (drag and drop where the file's path is unknown). Pure; no DOM.

export const UPLOAD_MAX_FILES = 50;
/** Per call; base64 in JSON makes the request ~4/3 of this, which the core and the browser both hold in memory. */
export const UPLOAD_MAX_BYTES = 200 * 1024 * 1024;

const IMAGE_EXT = /\.(tiff?|jpe?g|png)$/i;

/** Files the core can import, by name. Everything else is reported as skipped, never silently dropped. */
export function isImportableName(name: string): boolean {
  return IMAGE_EXT.test(name);
}

/** Hidden files and OS droppings (".DS_Store", "Thumbs.db", "._x.tif") are not user files. */
export function isJunkName(name: string): boolean {
  const base = name.split(/[\\/]/).pop() ?? name;
  return base.startsWith('.') || /^thumbs\.db$/i.test(base) || /^desktop\.ini$/i.test(base);
}

/**
 * Split files into consecutive chunks of at most maxFiles files and maxBytes bytes (a single larger file
 * travels alone). Returns index lists into `sizes`.
 */
export function planChunks(sizes: readonly number[], maxFiles = UPLOAD_MAX_FILES, maxBytes = UPLOAD_MAX_BYTES): number[][] {
  const chunks: number[][] = [];
  let current: number[] = [];
  let bytes = 0;
  sizes.forEach((size, i) => {
    if (current.length > 0 && (current.length >= maxFiles || bytes + size > maxBytes)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(i);
    bytes += size;
  });
  if (current.length) chunks.push(current);
  return chunks;
}
