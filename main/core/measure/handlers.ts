// The measurement domain's part of the API: particle analysis and line metrology of library images and files,
// masks from files (at once or as a job) and from the editor. api.ts merges the domains' maps into one EmmaApi (contract.ts: the union of their slices).
import type { MeasureContract } from './contract.js';
import type { Db } from '../db/database.js';
import { editableMask, saveEditedMask } from './mask-edit.js';
import type { MeasureService } from './service.js';

export type MeasureMethod = keyof MeasureContract;

export function measureHandlers(db: Db, measure: MeasureService): MeasureContract {
  return {
    measureImage: (imageId) => measure.measure(imageId),
    startMeasure: async (imageIds) => measure.startMeasure(imageIds),
    startMeasureFiles: async (request) => measure.startMeasureFiles(request),
    importMasks: (dir, by) => measure.importMasks(dir, by),
    startMaskImport: async (dir, by) => measure.startMaskImport(dir, by),
    getEditableMask: (imageId, prefer) => editableMask(db, imageId, (i) => measure.measureLabels(i), prefer ?? 'stored'),
    saveImageMask: async (request) => saveEditedMask(db, request),
  };
}
