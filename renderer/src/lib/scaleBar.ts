// Calibrated scale bar: pick a "nice" physical length (1, 2 or 5 × 10^n) whose on-screen length is
// closest (on a log scale) to the wanted pixel length, and label it in pm / nm / µm / mm.
// Pure; no DOM.

export interface ScaleBar {
  /** Physical length of the bar in nanometres. */
  lengthNm: number;
  /** On-screen length in CSS pixels. */
  px: number;
  /** e.g. "200 nm", "5 µm", "500 pm". */
  label: string;
}

/** MICRO SIGN U+00B5, as vendors and keyboards write it (NFKC maps it to U+03BC). */
export const MICRO = '\u00b5';

const MANTISSAS = [1, 2, 5] as const;

interface Unit {
  symbol: string;
  /** Power of ten of the unit in nanometres (pm = -3, nm = 0, µm = 3, mm = 6). */
  exp: number;
}

const UNITS: readonly Unit[] = [
  { symbol: 'pm', exp: -3 },
  { symbol: 'nm', exp: 0 },
  { symbol: `${MICRO}m`, exp: 3 },
  { symbol: 'mm', exp: 6 },
];

/**
 * Label a length given exactly as mantissa × 10^exp nanometres, choosing the unit that keeps the number in
 * [1, 1000). Integer arithmetic on the exponent avoids 0.30000000000000004-style labels.
 */
export function formatNiceLength(mantissa: number, exp: number): string {
  let unit = UNITS[0];
  for (const u of UNITS) if (exp >= u.exp) unit = u;
  const shift = exp - unit.exp; // >= 0 except below the smallest unit
  const value = shift >= 0 ? mantissa * 10 ** shift : Number((mantissa / 10 ** -shift).toPrecision(6));
  return `${value} ${unit.symbol}`;
}

/** Label any length in nanometres with up to 3 significant digits in the fitting unit. */
export function formatLengthNm(nm: number): string {
  if (!Number.isFinite(nm) || nm <= 0) return `0 nm`;
  let unit = UNITS[0];
  for (const u of UNITS) if (nm >= 10 ** u.exp) unit = u;
  const value = Number((nm / 10 ** unit.exp).toPrecision(3));
  return `${value} ${unit.symbol}`;
}

/**
 * @param nmPerScreenPx physical size of one CSS pixel on screen, in nm (pixel size / (preview scale × zoom))
 * @param targetPx the wanted on-screen bar length in CSS pixels (e.g. 20% of the viewport width)
 * @returns null when the calibration is unusable (null, zero, negative, NaN)
 */
export function chooseScaleBar(nmPerScreenPx: number, targetPx: number): ScaleBar | null {
  if (!Number.isFinite(nmPerScreenPx) || nmPerScreenPx <= 0) return null;
  if (!Number.isFinite(targetPx) || targetPx <= 0) return null;
  const targetNm = nmPerScreenPx * targetPx;
  const decade = Math.floor(Math.log10(targetNm));
  let best: { mantissa: number; exp: number; err: number } | null = null;
  for (let exp = decade - 1; exp <= decade + 1; exp++) {
    for (const mantissa of MANTISSAS) {
      const lengthNm = mantissa * 10 ** exp;
      const err = Math.abs(Math.log(lengthNm / targetNm));
      if (!best || err < best.err - 1e-12) best = { mantissa, exp, err };
    }
  }
  if (!best) return null;
  const lengthNm = best.mantissa * 10 ** best.exp;
  return { lengthNm, px: lengthNm / nmPerScreenPx, label: formatNiceLength(best.mantissa, best.exp) };
}

/** nm per CSS pixel for an image shown as a preview scaled by `previewScale` and zoomed by `zoom`. */
export function nmPerScreenPixel(pixelSizeNm: number | null, previewScale: number, zoom: number): number | null {
  if (pixelSizeNm == null || !(pixelSizeNm > 0) || !(previewScale > 0) || !(zoom > 0)) return null;
  return pixelSizeNm / (previewScale * zoom);
}
