// Building blocks the domains' argument schemas share (main/core/<domain>/schemas.ts).
import { z } from 'zod';

export const id = z.number().int().positive();
/** An operator's name as recorded in the review history. */
export const reviewer = z.string().trim().min(1).max(80);
/**
 * A file or folder path, checked and never transformed (as startImport's paths and exportReview's outPath): lab-server
 * mode confines the path it was given (guard.ts) and the core validates the call again, so a schema that trimmed
 * would let "folder /" pass the confinement as one path and be used as another ("folder", perhaps a link out of the
 * data folders).
 */
export const filePath = z.string().min(1).max(4096);
