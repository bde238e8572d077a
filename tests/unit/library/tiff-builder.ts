// Builds small TIFF files in memory so that the IFD reader can be tested on layouts the real
// files do not cover (big-endian, BigTIFF, loops, truncation) without shipping fixtures.

export interface Entry {
  tag: number;
  type: number;
  values?: number[];
  bytes?: Buffer;
}

const SIZE: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4, 16: 8, 17: 8, 18: 8 };

export interface BuildOptions {
  le?: boolean;
  big?: boolean;
  /** Make the last page's next-IFD link point back at the first IFD. */
  loop?: boolean;
}

export function ascii(text: string): Buffer {
  return Buffer.concat([Buffer.from(text, 'latin1'), Buffer.from([0])]);
}

/** Minimal tags for a width x height 8-bit grey page (no pixel data; the reader does not need it). */
export function greyPage(width: number, height: number, extra: Entry[] = []): Entry[] {
  return [
    { tag: 256, type: 4, values: [width] },
    { tag: 257, type: 4, values: [height] },
    { tag: 258, type: 3, values: [8] },
    { tag: 259, type: 3, values: [1] },
    { tag: 262, type: 3, values: [1] },
    { tag: 277, type: 3, values: [1] },
    ...extra,
  ];
}

export function buildTiff(pages: Entry[][], opts: BuildOptions = {}): Buffer {
  const le = opts.le ?? true;
  const big = opts.big ?? false;
  const headerSize = big ? 16 : 8;
  const countSize = big ? 8 : 2;
  const entrySize = big ? 20 : 12;
  const inline = big ? 8 : 4;
  const nextSize = big ? 8 : 4;

  const payload = (e: Entry): Buffer => {
    if (e.bytes) return e.bytes;
    const size = SIZE[e.type];
    const vals = e.values ?? [];
    const b = Buffer.alloc(vals.length * size);
    vals.forEach((v, i) => {
      const o = i * size;
      switch (e.type) {
        case 1:
        case 6:
        case 7:
          b.writeUInt8(v & 0xff, o);
          break;
        case 3:
          le ? b.writeUInt16LE(v, o) : b.writeUInt16BE(v, o);
          break;
        case 8:
          le ? b.writeInt16LE(v, o) : b.writeInt16BE(v, o);
          break;
        case 4:
        case 13:
          le ? b.writeUInt32LE(v, o) : b.writeUInt32BE(v, o);
          break;
        case 9:
          le ? b.writeInt32LE(v, o) : b.writeInt32BE(v, o);
          break;
        case 5:
        case 10: {
          const den = 1000;
          const num = Math.round(v * den);
          if (le) {
            b.writeUInt32LE(num, o);
            b.writeUInt32LE(den, o + 4);
          } else {
            b.writeUInt32BE(num, o);
            b.writeUInt32BE(den, o + 4);
          }
          break;
        }
        case 11:
          le ? b.writeFloatLE(v, o) : b.writeFloatBE(v, o);
          break;
        case 12:
          le ? b.writeDoubleLE(v, o) : b.writeDoubleBE(v, o);
          break;
        case 16:
        case 18:
          le ? b.writeBigUInt64LE(BigInt(v), o) : b.writeBigUInt64BE(BigInt(v), o);
          break;
        default:
          throw new Error(`type ${e.type}`);
      }
    });
    return b;
  };

  // Layout: header, then per page its IFD followed by its out-of-line payloads.
  const ifdOffsets: number[] = [];
  let pos = headerSize;
  const blobs: { at: number; data: Buffer }[] = [];
  const ifdBodies: { at: number; entries: Entry[]; payloadAt: number[] }[] = [];
  for (const entries of pages) {
    const sorted = [...entries].sort((a, b) => a.tag - b.tag);
    ifdOffsets.push(pos);
    const ifdSize = countSize + sorted.length * entrySize + nextSize;
    let p = pos + ifdSize;
    const payloadAt: number[] = [];
    for (const e of sorted) {
      const d = payload(e);
      if (d.length > inline) {
        payloadAt.push(p);
        blobs.push({ at: p, data: d });
        p += d.length + (d.length % 2);
      } else payloadAt.push(-1);
    }
    ifdBodies.push({ at: pos, entries: sorted, payloadAt });
    pos = p;
  }
  const out = Buffer.alloc(pos);
  out.write(le ? 'II' : 'MM', 0, 'latin1');
  const w16 = (v: number, o: number) => (le ? out.writeUInt16LE(v, o) : out.writeUInt16BE(v, o));
  const w32 = (v: number, o: number) => (le ? out.writeUInt32LE(v, o) : out.writeUInt32BE(v, o));
  const w64 = (v: number, o: number) => (le ? out.writeBigUInt64LE(BigInt(v), o) : out.writeBigUInt64BE(BigInt(v), o));
  const wOff = (v: number, o: number) => (big ? w64(v, o) : w32(v, o));
  if (big) {
    w16(43, 2);
    w16(8, 4);
    w16(0, 6);
    w64(ifdOffsets[0], 8);
  } else {
    w16(42, 2);
    w32(ifdOffsets[0], 4);
  }
  ifdBodies.forEach((ifd, pi) => {
    let o = ifd.at;
    if (big) w64(ifd.entries.length, o);
    else w16(ifd.entries.length, o);
    o += countSize;
    ifd.entries.forEach((e, i) => {
      const d = payload(e);
      const count = e.bytes ? e.bytes.length / SIZE[e.type] : (e.values ?? []).length;
      w16(e.tag, o);
      w16(e.type, o + 2);
      if (big) w64(count, o + 4);
      else w32(count, o + 4);
      const valueAt = o + (big ? 12 : 8);
      if (ifd.payloadAt[i] >= 0) wOff(ifd.payloadAt[i], valueAt);
      else d.copy(out, valueAt);
      o += entrySize;
    });
    const next = pi + 1 < ifdOffsets.length ? ifdOffsets[pi + 1] : opts.loop ? ifdOffsets[0] : 0;
    wOff(next, o);
  });
  for (const b of blobs) b.data.copy(out, b.at);
  return out;
}

/** Deterministic PRNG (mulberry32) for fuzz tests. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
