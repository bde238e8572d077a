// The site's taxonomy: classes with short definitions (the `classes` table), plus built-in starting sets.
// The teacher may only answer with a class of its configured taxonomy; the definitions go into the prompt.
import type { Db } from '../db/database.js';
import { nowIso } from '../db/database.js';
import type { TaxonomyClass, TaxonomySet } from './types.js';
import { CoreError } from '../errors.js';

/** The 10 categories of the NFFA-EUROPE SEM dataset (Aversa et al., Sci. Data 5:180172, 2018), named as in that dataset. */
const NFFA_SEM: TaxonomyClass[] = [
  { name: 'Biological', description: 'Cells, tissues, bacteria, pollen or other organic/biological specimens.' },
  { name: 'Fibres', description: 'Elongated fibres or filaments, woven or random mats, typically micrometre-scale diameter.' },
  { name: 'Films_Coated_Surface', description: 'Continuous thin films or coatings on a substrate, possibly with grains, cracks or delamination.' },
  { name: 'MEMS_devices_and_electrodes', description: 'Micro-electro-mechanical structures, electrodes, contacts or other fabricated devices.' },
  { name: 'Nanowires', description: 'Wires, rods or whiskers with nanometre-scale diameter and high aspect ratio.' },
  { name: 'Particles', description: 'Discrete particles (spheres, cubes, irregular) that are individually distinguishable.' },
  { name: 'Patterned_surface', description: 'Regular lithographic or self-assembled patterns: arrays of dots, holes, lines or pillars.' },
  { name: 'Porous_Sponge', description: 'Sponge-like or foam materials with an interconnected pore network.' },
  { name: 'Powder', description: 'Agglomerated powder: many small grains in heaps or clusters, individual particles hard to separate.' },
  { name: 'Tips', description: 'Sharp tips or probes (AFM/STM tips, emitters, needles) seen in profile or from above.' },
];

/** Defect classes for SEM inspection of semiconductor line/space patterns, vias and wafer surfaces. */
const SEMI_DEFECTS: TaxonomyClass[] = [
  { name: 'bridges', description: 'Material connecting two neighbouring lines or features that should be separate (partial or thin link).' },
  { name: 'clean', description: 'No visible defect: regular pattern or smooth surface as designed.' },
  { name: 'cracks', description: 'Fractures or fissures in a film, line or substrate.' },
  { name: 'malformed_vias', description: 'Vias or contact holes that are missing, misshapen, under- or over-sized, or merged.' },
  { name: 'open', description: 'A line or feature that is broken or interrupted, leaving an electrical open.' },
  { name: 'other', description: 'A defect not covered by the other classes (particles, residues, pits, contamination).' },
  { name: 'scratches', description: 'Linear mechanical damage across the surface, usually crossing the pattern at an angle.' },
  { name: 'short', description: 'A solid, full-width connection between conductors that creates an electrical short.' },
];

export const BUILTIN_TAXONOMIES: readonly TaxonomySet[] = [
  { id: 'nffa-sem', title: 'NFFA SEM categories (10)', classes: NFFA_SEM },
  { id: 'semi-defects', title: 'Semiconductor defects (8)', classes: SEMI_DEFECTS },
];

export class TaxonomyError extends CoreError<'invalid_taxonomy'> {
  constructor(message: string) {
    super('invalid_taxonomy', message);
  }
}

const CLASS_NAME = /^[\p{L}\p{N}][\p{L}\p{N} _\-/.]{0,79}$/u;

export function validateClassName(name: string): string {
  const n = name.trim();
  if (!CLASS_NAME.test(n)) {
    throw new TaxonomyError(`invalid class name ${JSON.stringify(name)}: 1–80 letters, digits, space, _ - / . and starting with a letter or digit`);
  }
  return n;
}

/** Adds or updates one class; an existing class keeps its id (and its labels). Returns its id. */
export function upsertClass(db: Db, cls: TaxonomyClass, overwriteDescription = true): number {
  const name = validateClassName(cls.name);
  const description = cls.description.trim().slice(0, 1000);
  const found = db.prepare(`SELECT id, description FROM classes WHERE name = ?`).get(name) as { id: number; description: string } | undefined;
  if (found) {
    if (overwriteDescription || found.description === '') {
      db.prepare(`UPDATE classes SET description = ? WHERE id = ?`).run(description, found.id);
    }
    return found.id;
  }
  return Number(db.prepare(`INSERT INTO classes (name, description, created_at) VALUES (?, ?, ?)`).run(name, description, nowIso()).lastInsertRowid);
}

/** Renames a class in place (same id, so its labels follow); refuses a name already taken. */
export function renameClass(db: Db, from: string, to: string): { from: string; to: string } {
  const old = from.trim();
  const name = validateClassName(to);
  const found = db.prepare(`SELECT id FROM classes WHERE name = ?`).get(old) as { id: number } | undefined;
  if (!found) throw new TaxonomyError(`no class named ${JSON.stringify(old)}`);
  if (name === old) return { from: old, to: name };
  if (db.prepare(`SELECT 1 FROM classes WHERE name = ?`).get(name)) {
    throw new TaxonomyError(`a class named ${JSON.stringify(name)} already exists: pick another name`);
  }
  db.prepare(`UPDATE classes SET name = ? WHERE id = ?`).run(name, found.id);
  return { from: old, to: name };
}

/** Adds a built-in set's classes (keeping descriptions a site already wrote) and returns their names. */
export function applyTaxonomySet(db: Db, setId: string): string[] {
  const set = BUILTIN_TAXONOMIES.find((s) => s.id === setId);
  if (!set) throw new TaxonomyError(`unknown taxonomy set ${JSON.stringify(setId)}; known: ${BUILTIN_TAXONOMIES.map((s) => s.id).join(', ')}`);
  db.transaction(() => {
    for (const c of set.classes) upsertClass(db, c, false);
  })();
  return set.classes.map((c) => c.name);
}

export function listTaxonomy(db: Db): TaxonomyClass[] {
  return db.prepare(`SELECT name, description FROM classes ORDER BY name`).all() as TaxonomyClass[];
}

/** The classes the teacher may use: the configured names (in that order), or every class. */
export function resolveTaxonomy(db: Db, classNames: string[]): TaxonomyClass[] {
  const all = listTaxonomy(db);
  if (classNames.length === 0) return all;
  const byName = new Map(all.map((c) => [c.name, c]));
  const missing = classNames.filter((n) => !byName.has(n));
  if (missing.length) throw new TaxonomyError(`the teacher taxonomy names classes that do not exist: ${missing.join(', ')}`);
  return classNames.map((n) => byName.get(n)!);
}
