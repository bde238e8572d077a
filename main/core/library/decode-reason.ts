// Why a file did not decode, read from the file itself. libvips keeps one error text per process: under concurrent
// decodes one failure can find another's text, or none ("Unknown error"). So when a decode fails, the file's own
// structure is asked first (is the image data all there?) and that answer is reported: the same for every run.
import { open } from 'node:fs/promises';
import { isTiffSignature } from './tiff.js';

const TIFF_TYPE_SIZE: Record<number, number> = { 3: 2, 4: 4, 16: 8 };
const STRIP_OFFSETS = 273;
const STRIP_BYTES = 279;
const TILE_OFFSETS = 324;
const TILE_BYTES = 325;
/** Offsets tables above this many entries are not read here (a reason is a courtesy, not a second decoder). */
const MAX_TABLE = 1 << 20;

/** A truncation or structural reason found in the file, or null when its structure looks complete. */
export async function reasonFromFile(path: string): Promise<string | null> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch {
    return null;
  }
  try {
    const { size } = await fh.stat();
    const read = async (offset: number, length: number): Promise<Buffer | null> => {
      if (!Number.isSafeInteger(offset) || offset < 0 || length < 0 || offset + length > size) return null;
      const b = Buffer.alloc(length);
      const { bytesRead } = await fh.read(b, 0, length, offset);
      return bytesRead === length ? b : null;
    };
    const head = (await read(0, Math.min(16, size))) ?? Buffer.alloc(0);
    if (isTiffSignature(head)) return await tiffReason(head, size, read);
    const tail = (await read(Math.max(0, size - 12), Math.min(12, size))) ?? Buffer.alloc(0);
    if (head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) {
      return tail.length >= 2 && tail[tail.length - 2] === 0xff && tail[tail.length - 1] === 0xd9
        ? null
        : `truncated: the JPEG has no end-of-image marker (the file ends at byte ${size})`;
    }
    if (head.length >= 8 && head.readUInt32BE(0) === 0x89504e47) {
      return tail.length >= 8 && tail.toString('latin1', tail.length - 8, tail.length - 4) === 'IEND'
        ? null
        : `truncated: the PNG has no IEND chunk (the file ends at byte ${size})`;
    }
    if (head.length >= 12 && head.toString('latin1', 0, 4) === 'RIFF' && head.toString('latin1', 8, 12) === 'WEBP') {
      const declared = head.readUInt32LE(4) + 8;
      return declared > size ? `truncated: the WebP declares ${declared} bytes, the file has ${size}` : null;
    }
    if (head.length >= 4 && head.toString('latin1', 0, 4) === 'GIF8') {
      return tail.length && tail[tail.length - 1] === 0x3b ? null : `truncated: the GIF has no trailer (the file ends at byte ${size})`;
    }
    return null;
  } finally {
    await fh.close();
  }
}

/** First IFD's strip or tile table against the file size: image data beyond the end = truncated. */
async function tiffReason(head: Buffer, size: number, read: (o: number, n: number) => Promise<Buffer | null>): Promise<string | null> {
  const le = head.toString('latin1', 0, 2) === 'II';
  const big = (le ? head.readUInt16LE(2) : head.readUInt16BE(2)) === 43;
  const u16 = (b: Buffer, o: number) => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
  const u32 = (b: Buffer, o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const u64 = (b: Buffer, o: number) => Number(le ? b.readBigUInt64LE(o) : b.readBigUInt64BE(o));
  if (head.length < (big ? 16 : 8)) return `truncated: the file ends inside the TIFF header (${size} bytes)`;
  const ifd = big ? u64(head, 8) : u32(head, 4);
  const countBuf = await read(ifd, big ? 8 : 2);
  if (!countBuf) return `truncated or corrupt: the TIFF's first IFD (byte ${ifd}) lies outside the ${size}-byte file`;
  const n = big ? u64(countBuf, 0) : u16(countBuf, 0);
  const entrySize = big ? 20 : 12;
  const entries = n > 0 && n <= 4096 ? await read(ifd + (big ? 8 : 2), n * entrySize) : null;
  if (!entries) return `truncated or corrupt: the TIFF's first IFD (byte ${ifd}, ${n} entries) does not fit in the ${size}-byte file`;
  const table = async (tag: number): Promise<number[] | null> => {
    for (let i = 0; i < n; i++) {
      const e = i * entrySize;
      if (u16(entries, e) !== tag) continue;
      const type = u16(entries, e + 2);
      const count = big ? u64(entries, e + 4) : u32(entries, e + 4);
      const width = TIFF_TYPE_SIZE[type];
      if (!width || count > MAX_TABLE) return null;
      const inline = big ? 8 : 4;
      const at = e + (big ? 12 : 8);
      const bytes = count * width <= inline ? entries.subarray(at, at + count * width) : await read(big ? u64(entries, at) : u32(entries, at), count * width);
      if (!bytes) return null;
      return Array.from({ length: count }, (_, k) => (width === 2 ? u16(bytes, k * 2) : width === 4 ? u32(bytes, k * 4) : u64(bytes, k * 8)));
    }
    return null;
  };
  const offsets = (await table(STRIP_OFFSETS)) ?? (await table(TILE_OFFSETS));
  const counts = (await table(STRIP_BYTES)) ?? (await table(TILE_BYTES));
  if (!offsets || !counts) return null;
  let end = 0;
  let missing = 0;
  offsets.forEach((o, k) => {
    const stop = o + (counts[k] ?? 0);
    if (stop > end) end = stop;
    if (stop > size) missing++;
  });
  return end > size
    ? `truncated: the TIFF's image data runs to byte ${end}, the file ends at byte ${size} (${missing} of ${offsets.length} strips or tiles incomplete)`
    : null;
}
