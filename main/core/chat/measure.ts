// The measurement hook of the chat: numbers in answers about sizes, counts and spacings come only from a
// MeasurementSource (particle analysis, line metrology), never from the decoder. The default source measures
// nothing, so such questions get an honest "I can't measure that in this image yet"; createCore plugs in the
// particle analysis and line metrology of main/core/measure (chatMeasurement).
import type { MeasureResult } from '../measure/types.js';

export interface EcdStats {
  readonly median: number;
  readonly p10: number;
  readonly p90: number;
  readonly mean: number;
  readonly sd: number | null;
}

export interface ImageMeasurement {
  /** How it was measured, in words a reader can check (e.g. "classical default: Otsu threshold + watershed"). */
  readonly method: string;
  readonly pixelSizeNm: number | null;
  /** Unit of every length below: nm from the image's calibration, px where the file gives none. */
  readonly unit: 'nm' | 'px';
  readonly particles: { readonly count: number; readonly excludedAtEdge: number; readonly ecd: EcdStats | null } | null;
  readonly lines: {
    readonly pitch: number | null;
    readonly cd: number | null;
    readonly space: number | null;
    /** Line-edge roughness, 3σ (absent in measurements made before it reached the chat). */
    readonly ler?: number | null;
  } | null;
}

export interface MeasurementSource {
  /** Measurements of a library image; null when this source cannot measure it. */
  measure(imageId: number): Promise<ImageMeasurement | null>;
}

/** The default: no measurement is available (answers say so instead of guessing). */
export const NO_MEASUREMENTS: MeasurementSource = { measure: async () => null };

/** The chat's view of a particle/line measurement (main/core/measure): lengths in nm when calibrated, else px. */
export function chatMeasurement(r: MeasureResult): ImageMeasurement {
  const nm = r.calibrated && r.particles.ecdNm !== null;
  const d = nm ? r.particles.ecdNm : r.particles.ecdPx;
  const ecd =
    d && d.n > 0 && d.median !== null && d.p10 !== null && d.p90 !== null && d.mean !== null
      ? { median: d.median, p10: d.p10, p90: d.p90, mean: d.mean, sd: d.sd }
      : null;
  return {
    method: r.method,
    pixelSizeNm: r.pixelSizeNm,
    unit: r.calibrated ? 'nm' : 'px',
    particles: { count: r.particles.count, excludedAtEdge: r.particles.excludedAtEdge, ecd },
    lines: r.lines ? { pitch: r.lines.pitch, cd: r.lines.cd, space: r.lines.space, ler: r.lines.ler3sigma } : null,
  };
}

export type Quantity = 'count' | 'size' | 'spacing' | 'width' | 'roughness';

/**
 * Which quantity a measurement question asks for: a closed set of quantity words (count, size, spacing, width and
 * line-edge roughness are what a measurement source reports), checked in order of specificity. Null when the
 * question names none of them ("what is the chemical composition of the particles?" reads like a measurement
 * question but asks for something no measurement here gives): the chat then says what it can measure instead of
 * answering a size nobody asked for.
 */
export function quantityAsked(question: string): Quantity | null {
  const q = question.toLowerCase();
  if (/\b(how many|number of|count|counted|counting|counts)\b/.test(q)) return 'count';
  if (/\b(rough|roughness|ler|lwr|edge (placement )?(variation|jitter|noise)|wiggl\w*|wav(y|iness))\b/.test(q)) return 'roughness';
  if (
    /\b(pitch|apart|spacing|spaced|space between|gap|gaps|distance|period|periodicity|separation|separated|between (the )?(lines|features|particles))\b/.test(q)
  )
    return 'spacing';
  if (/\b(wide|width|widths|cd|cds|critical dimensions?|thick|thickness|linewidth|narrow)\b/.test(q)) return 'width';
  if (
    /\b(size|sizes|sized|sizing|big|bigger|biggest|large|larger|largest|small|smaller|smallest|tiny|huge|diameters?|radius|radii|areas?|dimensions?|ecd|feret|long|length|lengths|tall|height|extent|measure|measures|measured|measurements?|quantify|metrology|nm|nanomet\w*|microns?|µm|um)\b/.test(
      q,
    )
  )
    return 'size';
  return null;
}

/**
 * "How many vias are in this field of view?", "the number of particles per frame": a count of things in the image,
 * even where the question also names the frame. A count of pixels or of length units ("how many nm per pixel?") is
 * a calibration question.
 */
export function countsObjects(question: string): boolean {
  const m = /\b(?:how many|number of|count(?: the)?)\s+(?:of\s+)?(?:the\s+)?([a-zµ]+)/i.exec(question);
  return Boolean(m && !/^(pixels?|px|nm|nanomet\w*|microns?|µm|um|mm|millimet\w*|micromet\w*)$/i.test(m[1]));
}

/** What a measurement can report, for a question that asks for something else. */
export const MEASURABLE = 'particle counts and sizes (equivalent circular diameter) and the pitch, width, space and edge roughness of line patterns';

const fmt = (x: number) => Number(x.toPrecision(3)).toString();

/** How a length was calibrated, said once per answer. */
function calibration(m: ImageMeasurement): string {
  return m.unit === 'nm' && m.pixelSizeNm !== null
    ? `at ${fmt(m.pixelSizeNm)} nm/px from the file's calibration`
    : 'uncalibrated: the file gives no pixel size, so lengths are in pixels';
}

/**
 * A line/space pattern rather than particles: line metrology found a periodic pattern (lines.ts: one dominant
 * direction and a clean period) and the segmentation found no whole particle, or fewer than the objects cut by the
 * edge (stripes run across the frame). There "0 particles counted" would be a wrong answer; the lines answer.
 */
export function isLinePattern(m: Pick<ImageMeasurement, 'particles' | 'lines'>): boolean {
  if (!m.lines || m.lines.pitch === null) return false;
  return !m.particles || m.particles.count === 0 || m.particles.excludedAtEdge >= m.particles.count;
}

/** The answer sentence for a quantity from a measurement; null when the measurement lacks it. */
export function measurementSentence(m: ImageMeasurement, q: Quantity): string | null {
  const p = m.particles;
  const l = m.lines;
  const u = m.unit;
  const how = `method: ${m.method}; ${calibration(m)}`;
  // Pitch, width, space and roughness come from the line profile, not from the particle segmentation.
  const metrology = `line metrology, ${calibration(m)}`;
  const lines = isLinePattern(m);
  switch (q) {
    case 'count':
      if (lines && l?.pitch != null) {
        const parts = [
          `pitch ${fmt(l.pitch)} ${u}`,
          l.cd != null ? `line width (CD) ${fmt(l.cd)} ${u}` : null,
          l.space != null ? `space ${fmt(l.space)} ${u}` : null,
        ];
        return `This image is a line/space pattern, not separate particles, so no particles are counted: ${parts.filter(Boolean).join(', ')}; line metrology, ${calibration(m)}.`;
      }
      if (!p) return null;
      return `${p.count} particle${p.count === 1 ? '' : 's'} counted${p.excludedAtEdge ? ` (${p.excludedAtEdge} more touch the edge and were left out)` : ''}; method: ${m.method}.`;
    case 'size':
      if (lines && l?.cd != null)
        return `Line width (CD) ${fmt(l.cd)} ${u}${l.pitch != null ? ` at a pitch of ${fmt(l.pitch)} ${u}` : ''} (a line/space pattern, not particles); line metrology, ${calibration(m)}.`;
      if (p?.ecd && p.count > 0) {
        const e = p.ecd;
        const sd = e.sd !== null ? ` ± ${fmt(e.sd)}` : '';
        return `Median equivalent circular diameter ${fmt(e.median)} ${u} (p10–p90 ${fmt(e.p10)}–${fmt(e.p90)} ${u}, mean ${fmt(e.mean)}${sd} ${u}, n = ${p.count} particles); ${how}.`;
      }
      if (l?.cd != null) return `Line width (CD) ${fmt(l.cd)} ${u}; ${metrology}.`;
      return null;
    case 'spacing':
      if (l?.pitch != null) return `Pitch ${fmt(l.pitch)} ${u}${l.space != null ? `, space between lines ${fmt(l.space)} ${u}` : ''}; ${metrology}.`;
      if (l?.space != null) return `Space between lines ${fmt(l.space)} ${u}; ${metrology}.`;
      return null;
    case 'width':
      if (l?.cd != null) return `Line width (CD) ${fmt(l.cd)} ${u}; ${metrology}.`;
      return null;
    case 'roughness':
      if (l?.ler != null) return `Line-edge roughness (3σ) ${fmt(l.ler)} ${u}${l.pitch != null ? ` at a pitch of ${fmt(l.pitch)} ${u}` : ''}; ${metrology}.`;
      return null;
  }
}
