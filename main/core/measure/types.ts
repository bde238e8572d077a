// Result types of particle and line measurement, shared by the core, the contract (renderer) and the chat.
// No imports: the contract re-exports these, and the renderer may only see the contract.

export interface DataBarRows {
  /** First row of the bar; the specimen is rows [0, y). */
  y: number;
  height: number;
}

export interface Particle {
  /** The particle's value in the label image (1..n). */
  label: number;
  /** Pixel count. */
  areaPx: number;
  /** Area in nm² (calibrated) or px² (not). */
  area: number;
  /** Equivalent-circle diameter sqrt(4A/π), nm or px. */
  ecd: number;
  /** Largest caliper width of the pixel outline (corners of the boundary pixels), nm or px. */
  feretMax: number;
  /** Smallest caliper width, nm or px. */
  feretMin: number;
  /** feretMax / feretMin (>= 1). */
  aspectRatio: number;
  /** Centroid in px (x right, y down). */
  cx: number;
  cy: number;
  /** Bounding box in px: [x0, y0, x1, y1] inclusive. */
  bbox: [number, number, number, number];
  /** Cut by the image border or the data bar: excluded from the distribution. */
  touchesEdge: boolean;
  /** Convex outline in px, flat [x0, y0, x1, y1, ...] (pixel-corner coordinates), for drawing. */
  outline: number[];
}

export interface Distribution {
  n: number;
  median: number | null;
  p10: number | null;
  p90: number | null;
  mean: number | null;
  /** Sample standard deviation (null for n < 2). */
  sd: number | null;
}

export interface ParticleSummary {
  /** Particles measured: whole particles inside the specimen area (edge-cut ones are not counted here). */
  count: number;
  /** Particles cut by the image border or the data bar: found, but excluded from every statistic (ISO 13322-1). */
  excludedAtEdge: number;
  calibrated: boolean;
  /** Equivalent-circle diameter distribution in nm; null when the image has no pixel size. */
  ecdNm: Distribution | null;
  /** The same in px (always available). */
  ecdPx: Distribution;
  feretMaxNm: Distribution | null;
  feretMinNm: Distribution | null;
  aspectRatio: Distribution;
  /** Area fraction of the specimen covered by particles (all particles, edge-cut included). */
  areaFraction: number;
  /** Per-particle table (edge-cut ones flagged); sizes in nm (calibrated) or px. */
  items: Particle[];
}

export interface LineMeasurement {
  calibrated: boolean;
  unit: 'nm' | 'px';
  /** Direction the lines run, degrees from the image x axis (0 = horizontal lines), in [0, 180). */
  orientationDeg: number;
  /** Structure-tensor coherence in [0, 1]: how one-directional the pattern is. */
  coherence: number;
  pitch: number;
  /** Median line width (bright phase) between 50 % crossings. */
  cd: number;
  space: number;
  /** 3σ of the edge positions along the lines (pooled over all edges); null when too few strips. */
  ler3sigma: number | null;
  /** Periods across the measured area, and edges used for LER. */
  periods: number;
  edges: number;
  /** Share of the profile's variance at the pitch frequency (0..1): how clean the periodicity is. */
  periodicity: number;
  method: string;
}

export interface SegmenterInfo {
  kind: 'classical' | 'learnt';
  /** Model version the learnt segmenter belongs to, when it came from one. */
  modelVersion: string | null;
}

export interface MeasureResult {
  path: string;
  fileName: string;
  /** Library image id when measured through the library (API), else null. */
  imageId: number | null;
  width: number;
  height: number;
  pixelSizeNm: number | null;
  calibrated: boolean;
  /** Data bar rows (excluded from every measurement), or null when none was found. */
  dataBar: DataBarRows | null;
  /** How the particles were segmented, in words. */
  method: string;
  segmenter: SegmenterInfo;
  particles: ParticleSummary;
  /** Line/space metrology, or null with `linesReason` when no periodic pattern was found. */
  lines: LineMeasurement | null;
  linesReason: string | null;
  seconds: number;
}
