// Building blocks the domains' argument schemas share (main/core/<domain>/schemas.ts).
import { z } from 'zod';

export const id = z.number().int().positive();
/** An operator's name as recorded in the review history. */
export const reviewer = z.string().trim().min(1).max(80);
export const filePath = z.string().trim().min(1).max(4096);
