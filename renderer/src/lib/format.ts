// Display formatting for micrograph metadata. Pure; no DOM.

function sig(value: number, digits: number): string {
  return String(Number(value.toPrecision(digits)));
}

/** 50000 -> "50 kX", 105 -> "105 X", 1500 -> "1.5 kX", 2.5e6 -> "2.5 MX"; null -> "". */
export function formatMagnification(mag: number | null | undefined): string {
  if (mag == null || !Number.isFinite(mag) || mag <= 0) return '';
  // Round first so 999,700 becomes "1 MX" rather than "1000 kX".
  const rounded = Number(mag.toPrecision(3));
  if (rounded >= 1e6) return `${sig(rounded / 1e6, 3)} MX`;
  if (rounded >= 1e3) return `${sig(rounded / 1e3, 3)} kX`;
  return `${sig(rounded, 3)} X`;
}

const LENGTH_UNITS: readonly { symbol: string; nm: number }[] = [
  { symbol: 'pm', nm: 1e-3 },
  { symbol: 'nm', nm: 1 },
  { symbol: '\u00b5m', nm: 1e3 },
  { symbol: 'mm', nm: 1e6 },
];

/**
 * A length in nanometres in the unit its magnitude calls for (the one shared rule of every view): 2615 ->
 * "2.615 µm", 7.344 -> "7.344 nm", 0.87 -> "0.87 nm" (nm down to 0.1 nm, as lattice spacings are written), 0.05 -> "50 pm".
 */
export function formatLength(nm: number | null | undefined, digits = 4): string {
  if (nm == null || !Number.isFinite(nm)) return '';
  const a = Math.abs(nm);
  if (a === 0) return '0 nm';
  // Round first, so 999.96 nm reads "1 µm" rather than "1000 nm".
  const r = Number(a.toPrecision(digits));
  let unit = LENGTH_UNITS[1];
  if (r < 0.1) unit = LENGTH_UNITS[0];
  else for (const u of LENGTH_UNITS.slice(1)) if (r >= u.nm) unit = u;
  return `${nm < 0 ? '-' : ''}${sig(r / unit.nm, digits)} ${unit.symbol}`;
}

/** 7.344 -> "7.344 nm/px", 2615 -> "2.615 µm/px" (4 significant digits, unit by magnitude). */
export function formatPixelSize(nm: number | null | undefined): string {
  if (nm == null || !Number.isFinite(nm) || nm <= 0) return '';
  return `${formatLength(nm)}/px`;
}

export function formatBytes(bytes: number | null | undefined): string {
  if (bytes == null || !Number.isFinite(bytes) || bytes < 0) return '';
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let i = 0;
  while (value >= 1024 && i < units.length - 1) {
    value /= 1024;
    i++;
  }
  return `${value >= 100 ? value.toFixed(0) : value.toFixed(1)} ${units[i]}`;
}

/** 20 -> "20 kV", 0.5 -> "0.5 kV". */
export function formatKv(kv: number | null | undefined): string {
  if (kv == null || !Number.isFinite(kv)) return '';
  return `${sig(kv, 4)} kV`;
}

/** Working distance in mm: 2.8 -> "2.8 mm". */
export function formatMm(mm: number | null | undefined): string {
  if (mm == null || !Number.isFinite(mm)) return '';
  return `${sig(mm, 4)} mm`;
}

/** First and last characters of a hash: "3fa9c2e1…7b10". */
export function shortHash(hash: string, head = 10, tail = 4): string {
  if (hash.length <= head + tail + 1) return hash;
  return `${hash.slice(0, head)}\u2026${hash.slice(-tail)}`;
}

/** Thousands separators, independent of the machine's locale so tests and screenshots are stable. */
export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** ISO timestamp -> "2024-05-13 14:02:11" (local time); the input unchanged when it does not parse. */
export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** Last path segment, for either separator. */
export function baseName(path: string): string {
  const parts = path.split(/[\\/]/).filter(Boolean);
  return parts.length ? parts[parts.length - 1] : path;
}
