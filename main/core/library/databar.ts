// Detection of the burned-in information bar ("data bar") of SEM images: a band of rows with a
// flat black or white background and text/graphics on it (kV, mag, scale bar), below the image.
// It must never reach a model as image content, and a false positive crops real data, so the
// rules are conservative and look at whole rows:
//
// - bar row:   most pixels (>= 55 %) within +-2 grey levels of the row's mode, and that mode is
//              near black or white. Micrograph rows are noisy: even flat backgrounds give far less
//              (Zeiss sem images: ~0.5 at a mid-grey mode, NFFA JPEGs: ~0.15).
// - text row:  a bar row where >= 1.5 % of pixels differ from the mode by > 100 levels (ink
//              of the other polarity), and the band has >= 3 rows with >= 24 ink/background
//              switches (glyphs; the grey lines of layout drawings give a handful).
// - line row:  a full-width separator (>= 90 % flat) of the opposite polarity (FEI white frame).
// - band:      a run of bar rows (gaps of <= 3 text-heavy rows tolerated) containing a cluster of
//              text/line rows; at least a quarter of its rows are text rows; 1.5-30 % of the height;
//              in the lower 45 % of the image, ending at most 15 % above the bottom (NFFA JPEGs keep
//              a strip of image under the bar).
// - edge:      the band starts where rows stop being bar rows, and the rows above it are mostly
//              not bar-like (a sharp change of statistics from image to bar); or, if the flat
//              background continues upward (a black specimen above a black bar), at a full-width
//              separator line of the other polarity (FEI's frame).
//
// A uniform band *without* text (a dark specimen background, a painted-over bar in the NFFA
// Particles class) is not a data bar: it is returned as null and stays image content.
//
// The metadata hint (FEI: frame height - [Image] ResolutionY) is authoritative when present.

export interface DataBar {
  /** First row of the bar. Image content for models is rows [0, y). */
  y: number;
  /** Rows of the bar itself; rows below y + height (if any) are a remnant strip, not the bar. */
  height: number;
}

const FLAT_TOLERANCE = 2;
const BAR_FLAT = 0.55;
const LINE_FLAT = 0.9;
const DARK_MAX = 24;
const BRIGHT_MIN = 231;
const TEXT_CONTRAST = 100;
const GLYPH_TRANSITIONS = 24;
const MIN_GLYPH_ROWS = 3;
const TEXT_FRACTION = 0.015;
const MAX_GAP_ROWS = 3;

interface RowStats {
  mode(y: number): number;
  flat(y: number): number;
  contrast(y: number): number;
  /** Background/foreground switches along row y: many for text, few for lines and edges. */
  transitions(y: number): number;
}

// Row statistics are computed when first asked for. The search starts at the bottom and follows runs of bar-like
// rows upward, so on most micrographs only the lowest rows (and a bar with the rows just above it) are ever read.
function rowStats(gray: Uint8Array, width: number, height: number): RowStats {
  const have = new Uint8Array(height);
  const mode = new Uint8Array(height);
  const flat = new Float32Array(height);
  const contrast = new Float32Array(height);
  const hist = new Uint32Array(256);
  const compute = (y: number): void => {
    hist.fill(0);
    const row = y * width;
    for (let x = 0; x < width; x++) hist[gray[row + x]]++;
    let m = 0;
    for (let v = 1; v < 256; v++) if (hist[v] > hist[m]) m = v;
    let near = 0;
    for (let v = Math.max(0, m - FLAT_TOLERANCE); v <= Math.min(255, m + FLAT_TOLERANCE); v++) near += hist[v];
    let far = 0;
    for (let v = 0; v < 256; v++) if (Math.abs(v - m) > TEXT_CONTRAST) far += hist[v];
    mode[y] = m;
    flat[y] = near / width;
    contrast[y] = far / width;
    have[y] = 1;
  };
  const counted = new Map<number, number>();
  const isForeground = new Uint8Array(256);
  const transitions = (y: number): number => {
    const known = counted.get(y);
    if (known !== undefined) return known;
    if (!have[y]) compute(y);
    const m = mode[y];
    for (let v = 0; v < 256; v++) isForeground[v] = Math.abs(v - m) > TEXT_CONTRAST ? 1 : 0;
    const row = y * width;
    let t = 0;
    let prev = 0;
    for (let x = 0; x < width; x++) {
      const fg = isForeground[gray[row + x]];
      t += fg ^ prev;
      prev = fg;
    }
    const n = Math.min(65_535, t);
    counted.set(y, n);
    return n;
  };
  return {
    mode: (y) => (have[y] ? mode[y] : (compute(y), mode[y])),
    flat: (y) => (have[y] ? flat[y] : (compute(y), flat[y])),
    contrast: (y) => (have[y] ? contrast[y] : (compute(y), contrast[y])),
    transitions,
  };
}

/**
 * Finds the data bar in an 8-bit grey image (row-major, width*height bytes).
 * `hintRows`: bar height stated by the file's metadata (SemMetadata.dataBarHintRows); trusted when
 * plausible (1 .. height/2).
 */
export function detectDataBar(gray: Uint8Array, width: number, height: number, hintRows?: number | null): DataBar | null {
  if (!(width > 0 && height > 0) || gray.length < width * height) {
    throw new RangeError(`detectDataBar: buffer of ${gray.length} bytes does not hold ${width}x${height}`);
  }
  if (hintRows !== undefined && hintRows !== null && Number.isInteger(hintRows) && hintRows >= 1 && hintRows <= height / 2) {
    return { y: height - hintRows, height: hintRows };
  }
  if (height < 32 || width < 32) return null; // too small to carry a readable bar

  const s = rowStats(gray, width, height);
  const cls = (y: number): 0 | 1 | 2 => {
    if (s.flat(y) < BAR_FLAT) return 0;
    if (s.mode(y) <= DARK_MAX) return 1;
    if (s.mode(y) >= BRIGHT_MIN) return 2;
    return 0;
  };
  const isBar = (y: number): boolean => cls(y) !== 0;
  // Short non-bar gaps (rows crowded with large text) between bar rows are bridged: a gap of at most
  // MAX_GAP_ROWS rows with a bar row on both sides, so at most that many rows either way need looking at.
  const bridged = (y: number): boolean => {
    if (isBar(y)) return true;
    let up = 0;
    while (up <= MAX_GAP_ROWS && y - up - 1 >= 0 && !isBar(y - up - 1)) up++;
    let down = 0;
    while (down <= MAX_GAP_ROWS && y + down + 1 < height && !isBar(y + down + 1)) down++;
    const start = y - up;
    const end = y + down + 1;
    return start > 0 && end < height && end - start <= MAX_GAP_ROWS;
  };

  const clusterGap = Math.max(12, Math.round(0.03 * height));
  const minH = Math.max(6, Math.round(0.015 * height));
  const maxH = Math.round(0.3 * height);
  const lowestTop = Math.floor(0.55 * height);
  const maxBelow = Math.round(0.15 * height);

  // Runs of bar rows, bottom-up; the lowest valid band wins.
  for (let b = height - 1; b >= lowestTop && height - 1 - b <= maxBelow;) {
    if (!bridged(b)) {
      b--;
      continue;
    }
    let a = b;
    while (a > 0 && bridged(a - 1)) a--;
    const band = bandInRun(a, b);
    if (band) return band;
    b = a - 1;
  }
  return null;

  function bandInRun(a: number, b: number): DataBar | null {
    // Background polarity of the run = majority class of its bar rows.
    let dark = 0;
    let bright = 0;
    for (let y = a; y <= b; y++) {
      const c = cls(y);
      if (c === 1) dark++;
      else if (c === 2) bright++;
    }
    const bg = dark >= bright ? 1 : 2;
    const isText = (y: number) => (cls(y) === bg && s.contrast(y) >= TEXT_FRACTION) || (!isBar(y) && bridged(y));
    const isLine = (y: number) => cls(y) !== 0 && cls(y) !== bg && s.flat(y) >= LINE_FLAT;
    const marked = (y: number) => isText(y) || isLine(y);

    // The lowest cluster of marked rows decides: a bar sits at the bottom of its flat run.
    let cb = b;
    while (cb >= a && !marked(cb)) cb--;
    if (cb < a) return null; // flat band without any text: specimen, not a data bar
    let ct = cb;
    for (let k = cb - 1; k >= a; k--) {
      if (!marked(k)) {
        if (ct - k > clusterGap) break;
        continue;
      }
      ct = k;
      if (cb - ct + 1 > maxH) return null; // text-like rows over a third of the image: a pattern
    }
    const naturalTop = ct - a <= clusterGap;
    if (naturalTop) {
      // The run ends where the rows stop being flat: that edge must open onto image, i.e. the
      // rows above are mostly not bar-like (drawings on a white page are flat everywhere).
      const k = Math.max(8, Math.round(0.05 * height));
      let flatAbove = 0;
      for (let y = Math.max(0, a - k); y < a; y++) flatAbove += isBar(y) ? 1 : 0;
      if (flatAbove > 0.5 * Math.min(k, a)) return null;
    } else if (!isLine(ct)) {
      // The flat background continues upward (dark specimen above a dark bar): only a
      // full-width separator line of the other polarity marks the edge reliably.
      return null;
    }
    const top = naturalTop ? a : ct;
    const bottom = b - cb <= clusterGap ? b : cb;
    return validate(top, bottom, isText);
  }

  function validate(top: number, bottom: number, isText: (y: number) => boolean): DataBar | null {
    const h = bottom - top + 1;
    if (h < minH || h > maxH) return null;
    if (top < lowestTop) return null;
    if (height - 1 - bottom > maxBelow) return null;
    let text = 0;
    let glyphRows = 0;
    for (let y = top; y <= bottom; y++) {
      if (isText(y)) text++;
      if (s.transitions(y) >= GLYPH_TRANSITIONS) glyphRows++;
    }
    if (text < Math.max(3, 0.25 * h)) return null;
    // Characters switch between ink and background many times per row; drawn lines do not.
    if (glyphRows < MIN_GLYPH_ROWS) return null;
    return { y: top, height: h };
  }
}

/** The part of the image that is specimen, not data bar: rows [0, y) at full width. */
export function imageArea(width: number, height: number, dataBar: DataBar | null): { top: number; left: number; width: number; height: number } {
  const h = dataBar && dataBar.y > 0 && dataBar.y < height ? dataBar.y : height;
  return { top: 0, left: 0, width, height: h };
}
