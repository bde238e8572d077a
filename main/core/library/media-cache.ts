import { join } from 'node:path';

// Derived images are cached by content hash beside the database, so moving or re-importing a file reuses them.
export function thumbnailPath(dataDir: string, sha256: string): string {
  return join(dataDir, 'cache', 'thumbs', sha256.slice(0, 2), `${sha256}.jpg`);
}

export function previewPath(dataDir: string, sha256: string): string {
  return join(dataDir, 'cache', 'previews', sha256.slice(0, 2), `${sha256}.jpg`);
}
