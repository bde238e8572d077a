// Questions about how an image was acquired (magnification, accelerating voltage, working distance, detector,
// instrument, date, and settings only the vendor's own metadata block carries: beam current, dwell time, spot size,
// aperture, chamber pressure, stage tilt, scan speed). Nothing about these can be seen in the pixels, so the
// student never answers them: the file's metadata does, quoted with where it came from, or the chat says that the
// file does not record it. Before this, every such question was refused, even when the file stated the value.
//
// The setting a question asks for is found by the names instruments and operators use for it (the way class names
// are a slot): a vocabulary of the domain, not of any set of questions. It is consulted only where the question
// layer found no in-scope intent, or a calibration one, so a question about a class that happens to contain one of
// these words ("is there a short at the high-voltage line?") keeps its answer.
import type { Db } from '../db/database.js';
import { inspectImage } from '../library/inspect.js';
import { getImageRow } from '../library/queries.js';

export interface AcquisitionFacts {
  readonly magnification: number | null;
  readonly kv: number | null;
  readonly wdMm: number | null;
  readonly detector: string | null;
  readonly instrument: string | null;
  readonly vendor: string | null;
  readonly acquiredAt: string | null;
  /** The vendor's key/values as stored at import (SemMetadata.raw). */
  readonly raw: Readonly<Record<string, string>>;
}

interface Setting {
  /** In words, for the answer ("the accelerating voltage"). */
  readonly name: string;
  /** How a question names it (lower case, after normalising spaces and hyphens). */
  readonly asked: RegExp;
  /** The parsed value, when Emma's reader extracts this setting. */
  readonly parsed?: (f: AcquisitionFacts) => string | null;
  /** Vendor keys that hold it (Zeiss AP_/DP_, FEI/Thermo Section.Key, JEOL Path.Key), best first. */
  readonly rawKeys?: readonly RegExp[];
}

const VENDOR_NAMES: Readonly<Record<string, string>> = { zeiss: 'Zeiss', fei: 'FEI/Thermo', jeol: 'JEOL' };

const num = (v: number) => Number(v.toPrecision(4)).toLocaleString('en-US');

const SETTINGS: readonly Setting[] = [
  {
    name: 'magnification',
    asked: /\b(magnification|mag|magnified|zoom(ed)?)\b/,
    parsed: (f) => (f.magnification === null ? null : `${num(f.magnification)}×`),
  },
  {
    name: 'accelerating voltage',
    asked:
      /\b(accelerat\w* (voltage|potential)|acceleration voltage|high (voltage|tension)|eht|kv|kev|beam (energy|voltage)|landing (energy|voltage)|voltage)\b/,
    parsed: (f) => (f.kv === null ? null : `${num(f.kv)} kV`),
  },
  {
    name: 'working distance',
    asked: /\b(working distance|wd)\b/,
    parsed: (f) => (f.wdMm === null ? null : `${num(f.wdMm)} mm`),
  },
  {
    name: 'detector',
    asked: /\b(detector|detectors|inlens|in lens|se2|bse|backscatter\w*|secondary electrons?)\b/,
    parsed: (f) => f.detector,
  },
  {
    name: 'instrument',
    asked: /\b(instrument|microscope|sem model|which sem|what sem)\b/,
    parsed: (f) => f.instrument,
  },
  {
    name: 'acquisition date',
    asked:
      /\bwhen (was|were|did)\b.*\b(taken|acquired|recorded|captured|imaged|made|shot)\b|\b(acquisition (date|time)|date (taken|of acquisition|of the image)|(what|which) (date|day) was)\b/,
    parsed: (f) => f.acquiredAt,
  },
  {
    name: 'beam current',
    asked: /\b((beam|probe|emission) current|i probe|iprobe)\b/,
    rawKeys: [/^AP_IPROBE$/i, /(^|\.)BeamCurrent$/i, /probe.?current/i, /beam.?current/i],
  },
  {
    name: 'dwell time',
    asked: /\b(dwell|pixel time|time per pixel)\b/,
    rawKeys: [/^DP_DWELL_TIME$/i, /(^|\.)Dwell ?time$/i, /dwell/i],
  },
  {
    name: 'spot size',
    asked: /\bspot( size)?\b/,
    rawKeys: [/^AP_SPOTSIZE$/i, /(^|\.)Spot$/i, /(^|\.)SpotSizeString$/i, /spot.?size/i],
  },
  {
    name: 'aperture',
    asked: /\baperture\b/,
    rawKeys: [/^AP_APERTURESIZE$/i, /^AP_APERTURE_SIZE$/i, /(^|\.)ApertureDiameter$/i, /(^|\.)Aperture$/i, /^DP_APERTURE$/i],
  },
  {
    name: 'chamber pressure',
    asked: /\b(chamber pressure|vacuum|pressure)\b/,
    rawKeys: [/^AP_CHAMBER_PRESSURE$/i, /(^|\.)ChPressure$/i, /chamber.?pressure/i, /(^|\.)Pressure$/i],
  },
  {
    name: 'stage tilt',
    asked: /\b(tilt|tilted|tilt angle)\b/,
    rawKeys: [/^AP_STAGE_AT_T$/i, /^AP_STAGE_GOTO_T$/i, /(^|\.)StageT$/i, /(^|\.)Tilt$/i],
  },
  {
    name: 'scan speed',
    asked: /\b(scan (speed|rate)|scanrate|frame time|scan time)\b/,
    rawKeys: [/^DP_SCANRATE$/i, /(^|\.)FrameTime$/i, /scan.?(speed|rate)/i],
  },
];

/** A question about a person ("who operated the microscope?"): people stay out of scope, whatever else is named. */
const ABOUT_PEOPLE = /\b(who|whom|whose|operator|user|person|people)\b/;

/** The acquisition setting a question asks about, or null. Settings are tried in order; the first named wins. */
export function askedSetting(question: string): Setting | null {
  const q = question
    .toLowerCase()
    .replace(/[-_/]+/g, ' ')
    .replace(/\s+/g, ' ');
  if (ABOUT_PEOPLE.test(q)) return null;
  return SETTINGS.find((s) => s.asked.test(q)) ?? null;
}

/** What the file records for `s`: the parsed value, else the first vendor key that holds a value. */
function recorded(s: Setting, f: AcquisitionFacts): { value: string; from: string } | null {
  const vendor = f.vendor ? `the file's ${VENDOR_NAMES[f.vendor] ?? f.vendor}` : "the file's";
  const parsed = s.parsed?.(f);
  if (parsed) return { value: parsed, from: `${vendor} metadata, as Emma reads it` };
  for (const key of s.rawKeys ?? []) {
    const k = Object.keys(f.raw).find((name) => key.test(name) && (f.raw[name] ?? '').trim() !== '');
    if (k) return { value: f.raw[k].trim(), from: `${vendor} metadata field ${k}, quoted as the file states it` };
  }
  return null;
}

export interface SettingAnswer {
  /** Null when the file does not record the setting (the chat then refuses and says so). */
  readonly text: string | null;
  readonly source: string;
  /** Why there is no answer, in words; null when answered. */
  readonly missing: string | null;
}

export function settingAnswer(s: Setting, f: AcquisitionFacts): SettingAnswer {
  const r = recorded(s, f);
  if (!r) return { text: null, source: 'nothing', missing: `the file's metadata does not record the ${s.name}` };
  return { text: `The ${s.name} recorded in the file is ${r.value} (${r.from}).`, source: `the image's acquisition metadata (${r.from})`, missing: null };
}

/** The acquisition facts of a library image (id > 0) or of a file outside the library (inspected). */
export async function acquisitionFacts(db: Db, image: { id: number; path: string }): Promise<AcquisitionFacts> {
  if (image.id > 0) {
    const r = getImageRow(db, image.id);
    return {
      magnification: r.magnification,
      kv: r.kv,
      wdMm: r.wd_mm,
      detector: r.detector,
      instrument: r.instrument,
      vendor: r.vendor,
      acquiredAt: r.acquired_at,
      raw: rawOf(r.metadata_json),
    };
  }
  const i = await inspectImage(image.path);
  return {
    magnification: i.magnification,
    kv: i.kV,
    wdMm: i.workingDistanceMm,
    detector: i.detector,
    instrument: i.instrument,
    vendor: i.vendor,
    acquiredAt: i.acquiredAt,
    raw: i.metadataRaw,
  };
}

/** The stored metadata JSON as string key/values (a damaged value is treated as none). */
function rawOf(json: string): Record<string, string> {
  try {
    const v = JSON.parse(json) as unknown;
    if (!v || typeof v !== 'object' || Array.isArray(v)) return {};
    return Object.fromEntries(Object.entries(v as Record<string, unknown>).filter((e): e is [string, string] => typeof e[1] === 'string'));
  } catch {
    return {};
  }
}
