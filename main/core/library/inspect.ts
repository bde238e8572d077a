// Everything `emma info --json` and the importer need about one image file, in one pass:
// header probe, vendor metadata, a full decode (which is also the integrity check: a truncated
// file fails here, not later in the grid) and data-bar detection.
import { detectDataBar, type DataBar } from './databar.js';
import { DEFAULT_MAX_PIXELS, probeImage, readGray, type GrayImage } from './decode.js';
import { emptySemMetadata, parseSemMetadata, type SemVendor } from './sem-metadata.js';
import { thumbnailFromGray, type ThumbnailFormat } from './thumbnail.js';
import { Tag, tagText, type TiffTags } from './tiff.js';

export interface ImageInspection {
  width: number;
  height: number;
  /** Bits per sample as stored: 8, 16, 32 (1/2/4-bit and palette PNGs report 8). */
  bitDepth: number;
  /** 'tiff' | 'jpeg' | 'png' | 'webp' | 'gif' | ... */
  format: string;
  /** Pages in the file; only the first is read. */
  pages: number;
  /** Nanometres per pixel. */
  pixelSizeNm: number | null;
  /** Plain factor: "50.00 K X" -> 50000. */
  magnification: number | null;
  /** Accelerating voltage in kV. */
  kV: number | null;
  workingDistanceMm: number | null;
  detector: string | null;
  instrument: string | null;
  vendor: SemVendor | null;
  /** ISO 8601; local time without offset unless the file states one. */
  acquiredAt: string | null;
  /** Burned-in info bar; image content is rows [0, dataBar.y). */
  dataBar: DataBar | null;
  /** Vendor key/values as text, plus a few generic TIFF tags under `TIFF.*`. */
  metadataRaw: Record<string, string>;
}

export interface InspectOptions {
  /** Pixel limit (decompression-bomb guard), default DEFAULT_MAX_PIXELS. */
  maxPixels?: number;
  /** The file's content when the caller has already read it (see ProbeOptions.bytes). */
  bytes?: Buffer;
}

export interface InspectWithThumbnailOptions extends InspectOptions {
  thumbnail?: { maxSide?: number; format?: ThumbnailFormat; quality?: number };
}

/** Bar detection runs on at most this many pixels; larger frames are analysed downscaled. */
const DETECT_MAX_PIXELS = 16 * 1024 * 1024;

/** Throws ImageReadError (with path and reason) for missing, unsupported, corrupt or oversized files. */
export async function inspectImage(path: string, opts: InspectOptions = {}): Promise<ImageInspection> {
  return (await inspect(path, opts)).info;
}

/** inspectImage plus a thumbnail made from the same decode (the importer's hot path). */
export async function inspectWithThumbnail(path: string, opts: InspectWithThumbnailOptions = {}): Promise<{ info: ImageInspection; thumbnail: Buffer }> {
  const { info, gray } = await inspect(path, opts);
  const scale = gray.height / info.height;
  const bar = info.dataBar ? { y: Math.round(info.dataBar.y * scale), height: Math.max(1, Math.round(info.dataBar.height * scale)) } : null;
  const thumbnail = await thumbnailFromGray(gray.data, gray.width, gray.height, { ...opts.thumbnail, dataBar: bar });
  return { info, thumbnail };
}

/** inspectImage plus the full-resolution 8-bit grey plane of the same decode (particle measurement). */
export async function inspectWithGray(path: string, opts: InspectOptions = {}): Promise<{ info: ImageInspection; gray: GrayImage }> {
  return inspect(path, opts);
}

async function inspect(path: string, opts: InspectOptions): Promise<{ info: ImageInspection; gray: GrayImage }> {
  const maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
  const probe = await probeImage(path, { maxPixels, bytes: opts.bytes });
  const md = probe.tiff ? parseSemMetadata(probe.tiff.tags) : emptySemMetadata();

  const big = probe.width * probe.height > DETECT_MAX_PIXELS;
  const gray = await readGray(path, {
    maxPixels,
    probe,
    bytes: opts.bytes,
    resizeMaxSide: big ? Math.round(Math.max(probe.width, probe.height) * Math.sqrt(DETECT_MAX_PIXELS / (probe.width * probe.height))) : undefined,
  });

  const dataBar = detectBar(gray, probe.height, md.dataBarHintRows);

  return {
    info: {
      width: probe.width,
      height: probe.height,
      bitDepth: probe.bitDepth,
      format: probe.format,
      pages: probe.pages,
      pixelSizeNm: md.pixelSizeNm,
      magnification: md.magnification,
      kV: md.kV,
      workingDistanceMm: md.workingDistanceMm,
      detector: md.detector,
      instrument: md.instrument,
      vendor: md.vendor,
      acquiredAt: md.acquiredAt,
      dataBar,
      metadataRaw: { ...md.raw, ...(probe.tiff ? genericTiffRaw(probe.tiff.tags, md.vendor !== null) : {}) },
    },
    gray,
  };
}

/** Detects on the decoded (possibly downscaled) plane and maps the box back to source rows. */
function detectBar(gray: GrayImage, sourceHeight: number, hintRows: number | null): DataBar | null {
  if (hintRows !== null && hintRows >= 1 && hintRows <= sourceHeight / 2) {
    return { y: sourceHeight - hintRows, height: hintRows };
  }
  const bar = detectDataBar(gray.data, gray.width, gray.height, null);
  if (!bar || gray.height === sourceHeight) return bar;
  const s = sourceHeight / gray.height;
  const y = Math.max(0, Math.floor(bar.y * s));
  return { y, height: Math.min(sourceHeight - y, Math.ceil(bar.height * s)) };
}

function genericTiffRaw(tags: TiffTags, vendorFound: boolean): Record<string, string> {
  const out: Record<string, string> = {};
  const names: [number, string][] = [
    [Tag.Make, 'TIFF.Make'],
    [Tag.Model, 'TIFF.Model'],
    [Tag.Software, 'TIFF.Software'],
    [Tag.DateTime, 'TIFF.DateTime'],
  ];
  // ImageDescription is the vendor block for JEOL; for others keep it if it is short text.
  if (!vendorFound) names.push([Tag.ImageDescription, 'TIFF.ImageDescription']);
  for (const [tag, key] of names) {
    const t = tagText(tags, tag)?.trim();
    if (t && t.length <= 4096) out[key] = t;
  }
  return out;
}
