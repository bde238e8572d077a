// Instrument metadata from TIFF tags, normalised to the units the rest of Emma uses:
// pixel size nm/px, magnification as a plain factor (50 kX -> 50000), kV, working distance mm.
//
// Vendor blocks are written by instrument software that changes between versions, so every
// field is optional and parsed defensively: a missing, empty or malformed value gives null,
// never an exception (FEI NavCam files carry `HV=` and `HV=notafloat`).
import { Tag, tagText, type TiffTags } from './tiff.js';

export type SemVendor = 'zeiss' | 'fei' | 'jeol';

export interface SemMetadata {
  vendor: SemVendor | null;
  pixelSizeNm: number | null;
  magnification: number | null;
  kV: number | null;
  workingDistanceMm: number | null;
  detector: string | null;
  instrument: string | null;
  /**
   * ISO 8601. Instruments record local time without a zone, so this is usually a local date-time
   * without offset ("2019-07-18T10:09:27"); an offset is kept when the file states one (JEOL).
   */
  acquiredAt: string | null;
  /** Rows at the bottom that the metadata says are not image (FEI: height - [Image] ResolutionY). */
  dataBarHintRows: number | null;
  /** Every key/value the vendor block holds, as text (Zeiss `AP_MAG`, FEI `Scan.PixelWidth`, ...). */
  raw: Record<string, string>;
}

export function emptySemMetadata(): SemMetadata {
  return {
    vendor: null,
    pixelSizeNm: null,
    magnification: null,
    kV: null,
    workingDistanceMm: null,
    detector: null,
    instrument: null,
    acquiredAt: null,
    dataBarHintRows: null,
    raw: {},
  };
}

/** Parses whatever instrument metadata the first page's tags hold. Never throws. */
export function parseSemMetadata(tags: TiffTags): SemMetadata {
  let md: SemMetadata;
  try {
    md = parseVendor(tags);
  } catch {
    // Defensive: a vendor parser bug must not make an image unreadable.
    md = emptySemMetadata();
  }
  try {
    applyGenericFallbacks(tags, md);
  } catch {
    /* same reasoning */
  }
  return md;
}

function parseVendor(tags: TiffTags): SemMetadata {
  const height = tags.get(Tag.ImageLength)?.values?.[0] ?? null;
  const cz = tagText(tags, Tag.ZeissCzSem);
  if (cz && cz.includes('AP_')) return parseZeissCzSem(cz);
  const fei = tagText(tags, Tag.FeiHelios) ?? tagText(tags, Tag.FeiSfeg);
  if (fei && /^\s*\[/m.test(fei)) return parseFeiIni(fei, height);
  const desc = tagText(tags, Tag.ImageDescription);
  if (desc && /<TemReporter[\s>]/.test(desc)) {
    return parseJeolSightX(desc, resolutionPixelPitchM(tags));
  }
  return emptySemMetadata();
}

// ---------------------------------------------------------------------------------------------
// Zeiss SmartSEM, tag 34118 (CZ_SEM)
// A preamble of bare numbers, then pairs of lines: a key (`AP_MAG`) and a display line
// (`Mag =  50.00 K X`, `Date :18 Jul 2019`). Units are part of the display value.
// ---------------------------------------------------------------------------------------------

const ZEISS_KEY = /^[A-Z]{2,3}_[A-Z0-9_]+$/;

export function parseZeissCzSem(text: string): SemMetadata {
  const md = emptySemMetadata();
  md.vendor = 'zeiss';
  const lines = text.split(/\r\n|\n|\r/);
  for (let i = 0; i + 1 < lines.length; i++) {
    const key = lines[i].trim();
    if (!ZEISS_KEY.test(key)) continue;
    const display = lines[i + 1];
    const eq = display.indexOf('=');
    const sep = eq >= 0 ? eq : display.indexOf(':');
    if (sep < 0) continue;
    if (!(key in md.raw)) md.raw[key] = cleanText(display.slice(sep + 1));
    i++;
  }
  const r = md.raw;
  // The spec'd choice: AP_IMAGE_PIXEL_SIZE is the pixel size of the stored image; AP_PIXEL_SIZE
  // is the scan generator's and differs when the stored resolution differs (multipage: 24.65 vs 12.33 nm).
  md.pixelSizeNm = positive(parseLengthNm(r.AP_IMAGE_PIXEL_SIZE)) ?? positive(parseLengthNm(r.AP_PIXEL_SIZE));
  md.magnification = positive(parseMagnification(r.AP_MAG));
  md.kV = positive(parseVoltageKv(r.AP_ACTUALKV)) ?? positive(parseVoltageKv(r.AP_MANUALKV));
  md.workingDistanceMm = positive(mmFromNm(parseLengthNm(r.AP_WD))) ?? positive(mmFromNm(parseLengthNm(r.AP_FREE_WD)));
  md.detector = nonEmpty(r.DP_DETECTOR_CHANNEL) ?? nonEmpty(r.DP_DETECTOR_TYPE);
  md.instrument = nonEmpty(r.DP_SEM) ?? nonEmpty(r.SV_SERIAL_NUMBER);
  md.acquiredAt = zeissDateTime(r.AP_DATE, r.AP_TIME);
  return md;
}

const MONTHS: Record<string, number> = {
  jan: 1,
  feb: 2,
  mar: 3,
  apr: 4,
  may: 5,
  jun: 6,
  jul: 7,
  aug: 8,
  sep: 9,
  oct: 10,
  nov: 11,
  dec: 12,
};

function zeissDateTime(date: string | undefined, time: string | undefined): string | null {
  // "18 Jul 2019" and "10:09:27" / "9:40:32"
  const d = /^(\d{1,2})\s+([A-Za-z]{3})[a-z]*\s+(\d{4})$/.exec((date ?? '').trim());
  if (!d) return null;
  const month = MONTHS[d[2].toLowerCase()];
  if (!month) return null;
  return isoLocal(Number(d[3]), month, Number(d[1]), parseClock(time));
}

// ---------------------------------------------------------------------------------------------
// FEI / Thermo Fisher xT, tags 34680 / 34682: INI text, SI base units (m, V, s).
// ---------------------------------------------------------------------------------------------

export function parseFeiIni(text: string, imageHeight: number | null = null): SemMetadata {
  const md = emptySemMetadata();
  md.vendor = 'fei';
  let section = '';
  for (const line of text.split(/\r\n|\n|\r/)) {
    const t = line.trim();
    if (!t || t.startsWith(';') || t.startsWith('#')) continue;
    const s = /^\[(.+)\]$/.exec(t);
    if (s) {
      section = s[1].trim();
      continue;
    }
    const eq = t.indexOf('=');
    if (eq <= 0) continue;
    const key = `${section}.${t.slice(0, eq).trim()}`;
    if (!(key in md.raw)) md.raw[key] = cleanText(t.slice(eq + 1));
  }
  const r = md.raw;
  const num = (k: string) => parseStrictNumber(r[k]);
  // The active beam's own section ([EBeam] or [IBeam]) repeats HV/WD/HFW; use it as a fallback.
  const beam = nonEmpty(r['Beam.Beam']);

  const hv = positive(num('Beam.HV')) ?? (beam ? positive(num(`${beam}.HV`)) : null);
  md.kV = hv === null ? null : hv / 1000;
  const wd = positive(num('Stage.WorkingDistance')) ?? (beam ? positive(num(`${beam}.WD`)) : null);
  md.workingDistanceMm = wd === null ? null : wd * 1000;

  // Magnification: xT stores none explicitly in these versions, only the field width. The mag
  // printed in the data bar is the on-screen image width over the horizontal field width;
  // [Image] MagCanvasRealWidth is that screen width (checked: 0.2072 m / 1.72667 mm = 120 x, as
  // burned into FEI-Helios-Ebeam-8bits.tif). Older files lack it: then [System] DisplayWidth
  // (the whole display) is the assumption, as xT's "display" magnification mode uses it.
  const explicitMag = positive(num('Image.Magnification')) ?? positive(num('Beam.Magnification'));
  // Only a scanned frame ([Scan]/[EScan]/[IScan]) has a field width that defines a magnification;
  // NavCam (optical) images carry a beam HFW but no scan, and get null.
  const scanSection = beam ? `${beam.replace(/Beam$/, '')}Scan` : null;
  const hfw = positive(num('Scan.HorFieldsize')) ?? (scanSection ? positive(num(`${scanSection}.HorFieldsize`)) : null);
  const canvas = positive(num('Image.MagCanvasRealWidth')) ?? positive(num('System.DisplayWidth'));
  md.magnification = explicitMag ?? (hfw !== null && canvas !== null ? roundSignificant(canvas / hfw, 4) : null);
  const pixelM = positive(num('Scan.PixelWidth')) ?? (scanSection ? positive(num(`${scanSection}.PixelWidth`)) : null);
  md.pixelSizeNm = pixelM === null ? null : pixelM * 1e9;

  const detName = nonEmpty(r['Detectors.Name']);
  const detMode = nonEmpty(r['Detectors.Mode']);
  md.detector = detName ? (detMode && detMode.toLowerCase() !== 'none' ? `${detName} (${detMode})` : detName) : null;
  md.instrument = nonEmpty((r['System.SystemType'] ?? '').replace(/"/g, '').replace(/\s+/g, ' ')) ?? nonEmpty(r['System.Type']);
  md.acquiredAt = feiDateTime(r['User.Date'], r['User.Time']) ?? feiTimeOfCreation(r['PrivateFei.TimeOfCreation']);

  // Data bar: the stored frame is ResolutionY scan lines plus the bar underneath.
  const resY = num('Image.ResolutionY');
  const barH = num('PrivateFei.DatabarHeight');
  if (imageHeight !== null && resY !== null && resY > 0 && resY < imageHeight) {
    md.dataBarHintRows = sanityRows(imageHeight - resY, imageHeight);
  } else if (imageHeight !== null && barH !== null && resY === null) {
    md.dataBarHintRows = sanityRows(barH, imageHeight);
  }
  return md;
}

function sanityRows(rows: number, height: number): number | null {
  return Number.isInteger(rows) && rows > 0 && rows <= height / 2 ? rows : null;
}

function feiDateTime(date: string | undefined, time: string | undefined): string | null {
  // "06/13/2016" (US order) and "05:06:40 PM"
  const d = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec((date ?? '').trim());
  if (!d) return null;
  return isoLocal(Number(d[3]), Number(d[1]), Number(d[2]), parseClock(time));
}

function feiTimeOfCreation(s: string | undefined): string | null {
  // "13.06.2016 17:06:40"
  const m = /^(\d{1,2})\.(\d{1,2})\.(\d{4})\s+(.+)$/.exec((s ?? '').trim());
  if (!m) return null;
  return isoLocal(Number(m[3]), Number(m[2]), Number(m[1]), parseClock(m[4]));
}

// ---------------------------------------------------------------------------------------------
// JEOL SightX (TEM), XML <TemReporter> in ImageDescription (270).
// ---------------------------------------------------------------------------------------------

/**
 * `pixelPitchM`: the camera pixel pitch from the TIFF resolution tags (metres per pixel), which
 * SightX uses to carry the detector pixel size; in TEM imaging ("MAG") mode the specimen pixel
 * size is pitch / magnification (the same rule HyperSpy/RosettaSciIO apply).
 */
export function parseJeolSightX(xml: string, pixelPitchM: number | null = null): SemMetadata {
  const md = emptySemMetadata();
  md.vendor = 'jeol';
  md.raw = flattenXml(xml);
  const r = md.raw;
  const volts = positive(parseStrictNumber(r['ElectronGun.AccelerationVoltage']));
  md.kV = volts === null ? null : volts / 1000;
  const mode = (r['ImageFormingSystem.ModeString'] ?? '').toUpperCase();
  const unit = (r['ImageFormingSystem.SelectorUnitString'] ?? '').trim().toUpperCase();
  const eosKey = Object.keys(r).find((k) => k === 'EosMode' || k.endsWith('.EosMode'));
  const eos = eosKey ? r[eosKey] : '';
  if (mode === 'MAG' && unit === 'X') {
    md.magnification = positive(parseStrictNumber(r['ImageFormingSystem.SelectorValue']));
  }
  if (md.magnification !== null && pixelPitchM !== null && !/ASID/i.test(eos)) {
    md.pixelSizeNm = (pixelPitchM * 1e9) / md.magnification;
  }
  md.detector = nonEmpty(r.ImageSourceDetector);
  md.instrument = nonEmpty(r.Instruments);
  md.acquiredAt = isoFromJeol(r.DateTime);
  return md;
}

function isoFromJeol(s: string | undefined): string | null {
  // "2019-11-27T16:11:26.6205405+09:00": trim the fraction to milliseconds.
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/.exec((s ?? '').trim());
  if (!m) return null;
  const frac = m[2] ? m[2].slice(0, 4) : '';
  return `${m[1]}${frac}${m[3] ?? ''}`;
}

/**
 * Leaf elements of a small XML document as dotted paths without the root element
 * (`ElectronGun.AccelerationVoltage`). First occurrence wins. A tolerant scanner, not a parser:
 * vendor XML here is simple, and a malformed document just yields fewer keys.
 */
export function flattenXml(xml: string, maxKeys = 10_000): Record<string, string> {
  const out: Record<string, string> = {};
  const stack: string[] = [];
  const re = /<(\/?)([A-Za-z_][\w.:-]*)([^<>]*?)(\/?)>|<!--[\s\S]*?-->|<\?[\s\S]*?\?>|<!\[CDATA\[([\s\S]*?)\]\]>/g;
  let lastOpenEnd = -1;
  let count = 0;
  for (let m = re.exec(xml); m && count < maxKeys; m = re.exec(xml)) {
    const [, close, name, , selfClose] = m;
    if (!name) continue;
    if (selfClose) continue;
    if (!close) {
      stack.push(name);
      lastOpenEnd = re.lastIndex;
      continue;
    }
    // A closing tag right after its own opening tag (only text between) is a leaf.
    if (stack[stack.length - 1] === name && lastOpenEnd >= 0) {
      const text = xml.slice(lastOpenEnd, m.index);
      if (!text.includes('<')) {
        const key = stack.slice(1).join('.');
        if (key && !(key in out)) {
          out[key] = decodeEntities(text).trim();
          count++;
        }
      }
    }
    const at = stack.lastIndexOf(name);
    if (at >= 0) stack.length = at;
    lastOpenEnd = -1;
  }
  return out;
}

function decodeEntities(s: string): string {
  return s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}

/** Metres per pixel from XResolution/ResolutionUnit, if the unit is physical (inch or cm). */
function resolutionPixelPitchM(tags: TiffTags): number | null {
  const xres = tags.get(Tag.XResolution)?.values?.[0];
  const unit = tags.get(Tag.ResolutionUnit)?.values?.[0] ?? 2;
  if (!xres || !Number.isFinite(xres) || xres <= 0) return null;
  if (unit === 2) return 0.0254 / xres;
  if (unit === 3) return 0.01 / xres;
  return null;
}

// ---------------------------------------------------------------------------------------------
// Generic TIFF facts, used only where the vendor block said nothing.
// ---------------------------------------------------------------------------------------------

function applyGenericFallbacks(tags: TiffTags, md: SemMetadata): void {
  if (md.instrument === null) {
    const make = nonEmpty(tagText(tags, Tag.Make) ?? undefined);
    const model = nonEmpty(tagText(tags, Tag.Model) ?? undefined);
    md.instrument = model && make && !model.toLowerCase().includes(make.toLowerCase()) ? `${make} ${model}` : (model ?? null);
  }
  if (md.acquiredAt === null) md.acquiredAt = tiffDateTime(tagText(tags, Tag.DateTime));
  if (md.pixelSizeNm === null) md.pixelSizeNm = digitalMicrographPixelNm(tags) ?? imageJPixelNm(tags);
}

function tiffDateTime(s: string | null): string | null {
  // TIFF 6.0: "YYYY:MM:DD HH:MM:SS"; some writers use '/' or '-' and omit seconds.
  const m = /^(\d{4})[:/-](\d{2})[:/-](\d{2})[ T](\d{1,2}:\d{2}(?::\d{2})?)/.exec((s ?? '').trim());
  if (!m) return null;
  return isoLocal(Number(m[1]), Number(m[2]), Number(m[3]), parseClock(m[4]));
}

/** Gatan DigitalMicrograph private tags: 65009/65010 scale, 65003/65004 unit. */
function digitalMicrographPixelNm(tags: TiffTags): number | null {
  const scale = tags.get(65010)?.values?.[0] ?? tags.get(65009)?.values?.[0];
  const unit = tagText(tags, 65004) ?? tagText(tags, 65003);
  if (scale === undefined || !unit) return null;
  return positive(lengthToNm(scale, unit));
}

/** ImageJ: "unit=micron" in ImageDescription, XResolution in pixels per unit. */
function imageJPixelNm(tags: TiffTags): number | null {
  const desc = tagText(tags, Tag.ImageDescription);
  if (!desc || !desc.startsWith('ImageJ=')) return null;
  const unit = /^unit=(.+)$/m.exec(desc)?.[1]?.trim();
  const xres = tags.get(Tag.XResolution)?.values?.[0];
  if (!unit || !xres || !Number.isFinite(xres) || xres <= 0) return null;
  return positive(lengthToNm(1 / xres, unit));
}

// ---------------------------------------------------------------------------------------------
// Small parsers (exported for tests)
// ---------------------------------------------------------------------------------------------

const NUMBER_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** A whole-string decimal number, else null ("", "notafloat", "1.2.3" -> null). */
export function parseStrictNumber(s: string | undefined | null): number | null {
  if (s === undefined || s === null) return null;
  const t = s.trim();
  if (!NUMBER_RE.test(t)) return null;
  const v = Number(t);
  return Number.isFinite(v) ? v : null;
}

const LENGTH_NM: Record<string, number> = {
  pm: 1e-3,
  å: 0.1,
  a: 0.1,
  angstrom: 0.1,
  nm: 1,
  µm: 1e3,
  um: 1e3,
  micron: 1e3,
  microns: 1e3,
  micrometer: 1e3,
  mm: 1e6,
  cm: 1e7,
  m: 1e9,
};

function normaliseUnit(u: string): string {
  // U+03BC (Greek mu) and U+00B5 (micro sign, also Latin-1 0xB5 as decoded) both mean micro.
  return u
    .trim()
    .replace(/\u03bc/g, '\u00b5')
    .replace(/^\u00c2\u00b5/, '\u00b5')
    .toLowerCase();
}

function lengthToNm(value: number, unit: string): number | null {
  const f = LENGTH_NM[normaliseUnit(unit)];
  return f === undefined || !Number.isFinite(value) ? null : value * f;
}

/** "7.344 nm", "2.615 µm", "14.808 mm", "500 pm" -> nanometres. */
export function parseLengthNm(s: string | undefined): number | null {
  const m = /^\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*(\S+)\s*$/.exec(s ?? '');
  if (!m) return null;
  return lengthToNm(Number(m[1]), m[2]);
}

/** "50.00 K X" -> 50000, "105 X" -> 105, "1.2 M X" -> 1.2e6, "4.53 KX" -> 4530. */
export function parseMagnification(s: string | undefined): number | null {
  const m = /^\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*([kKmM])?\s*[xX]\s*$/.exec(s ?? '');
  if (!m) return null;
  const f = m[2] === undefined ? 1 : m[2].toLowerCase() === 'k' ? 1e3 : 1e6;
  return Number(m[1]) * f;
}

/** "20.00 kV" -> 20, "500 V" -> 0.5. */
export function parseVoltageKv(s: string | undefined): number | null {
  const m = /^\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*(kV|V|MV)\s*$/i.exec(s ?? '');
  if (!m) return null;
  const u = m[2].toLowerCase();
  return Number(m[1]) * (u === 'kv' ? 1 : u === 'v' ? 1e-3 : 1e3);
}

function mmFromNm(nm: number | null): number | null {
  return nm === null ? null : nm / 1e6;
}

/** Derived ratios carry float noise (119.99977 for a printed "120 x"). */
function roundSignificant(v: number, digits: number): number {
  return Number(v.toPrecision(digits));
}

function positive(v: number | null | undefined): number | null {
  return v !== null && v !== undefined && Number.isFinite(v) && v > 0 ? v : null;
}

function nonEmpty(s: string | undefined | null): string | null {
  const t = (s ?? '').trim();
  return t ? t : null;
}

function cleanText(s: string): string {
  // Drop NULs/control characters some writers leave in values; keep the text itself.
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '').trim();
}

function parseClock(s: string | undefined): [number, number, number] | null {
  // "10:09:27", "9:40:32", "05:06:40 PM", "16:11"
  const m = /^\s*(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?\s*$/.exec(s ?? '');
  if (!m) return null;
  let h = Number(m[1]);
  const ampm = m[4]?.toUpperCase();
  if (ampm === 'PM' && h < 12) h += 12;
  if (ampm === 'AM' && h === 12) h = 0;
  const min = Number(m[2]);
  const sec = Number(m[3] ?? 0);
  if (h > 23 || min > 59 || sec > 60) return null;
  return [h, min, sec];
}

function isoLocal(y: number, mo: number, d: number, clock: [number, number, number] | null): string | null {
  if (!(y >= 1900 && y <= 2999 && mo >= 1 && mo <= 12 && d >= 1 && d <= 31)) return null;
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const date = `${p(y, 4)}-${p(mo)}-${p(d)}`;
  return clock ? `${date}T${p(clock[0])}:${p(clock[1])}:${p(clock[2])}` : date;
}
