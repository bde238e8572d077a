// The measurement hook of the chat: numbers in answers about sizes, counts and spacings come only from a
// MeasurementSource (particle analysis, line metrology), never from the decoder. The default source measures
// nothing, so such questions get an honest "I can't measure that in this image yet". The real source
// (main/core/measure/) plugs in here.

export interface EcdStats {
  readonly median: number;
  readonly p10: number;
  readonly p90: number;
  readonly mean: number;
  readonly sd: number;
}

export interface ImageMeasurement {
  /** How it was measured, in words a reader can check (e.g. "Otsu threshold + connected components"). */
  readonly method: string;
  readonly pixelSizeNm: number | null;
  readonly particles: { readonly count: number; readonly excludedAtEdge: number; readonly ecdNm: EcdStats | null } | null;
  readonly lines: { readonly pitchNm: number | null; readonly cdNm: number | null; readonly spaceNm: number | null } | null;
}

export interface MeasurementSource {
  /** Measurements of a library image; null when this source cannot measure it. */
  measure(imageId: number): Promise<ImageMeasurement | null>;
}

/** The default: no measurement is available (answers say so instead of guessing). */
export const NO_MEASUREMENTS: MeasurementSource = { measure: async () => null };

export type Quantity = 'count' | 'size' | 'spacing' | 'width';

/**
 * Which quantity a measurement question asks for. A closed set of quantity words (count/size/spacing/width are the
 * only quantities a measurement source reports), checked in order of specificity.
 */
export function quantityAsked(question: string): Quantity {
  const q = question.toLowerCase();
  if (/\b(how many|number of|count|counted|counting)\b/.test(q)) return 'count';
  if (/\b(pitch|apart|spacing|space between|gap|gaps|distance|period|separation|between (the )?(lines|features|particles))\b/.test(q)) return 'spacing';
  if (/\b(wide|width|widths|cd|critical dimension|thick|thickness|linewidth)\b/.test(q)) return 'width';
  return 'size';
}

const fmt = (x: number) => Number(x.toPrecision(3)).toString();

/** The answer sentence for a quantity from a measurement; null when the measurement lacks it. */
export function measurementSentence(m: ImageMeasurement, q: Quantity): string | null {
  const p = m.particles;
  const l = m.lines;
  switch (q) {
    case 'count':
      if (!p) return null;
      return `${p.count} particle${p.count === 1 ? '' : 's'} counted${p.excludedAtEdge ? ` (${p.excludedAtEdge} more touch the edge and were left out)` : ''}; method: ${m.method}.`;
    case 'size':
      if (p?.ecdNm) {
        const e = p.ecdNm;
        return `Median equivalent circular diameter ${fmt(e.median)} nm (p10–p90 ${fmt(e.p10)}–${fmt(e.p90)} nm, mean ${fmt(e.mean)} ± ${fmt(e.sd)} nm, ${p.count} particles); method: ${m.method}.`;
      }
      if (l?.cdNm != null) return `Line width (CD) ${fmt(l.cdNm)} nm; method: ${m.method}.`;
      return null;
    case 'spacing':
      if (l?.pitchNm != null) return `Pitch ${fmt(l.pitchNm)} nm${l.spaceNm != null ? `, space between lines ${fmt(l.spaceNm)} nm` : ''}; method: ${m.method}.`;
      if (l?.spaceNm != null) return `Space between lines ${fmt(l.spaceNm)} nm; method: ${m.method}.`;
      return null;
    case 'width':
      if (l?.cdNm != null) return `Line width (CD) ${fmt(l.cdNm)} nm; method: ${m.method}.`;
      return null;
  }
}
