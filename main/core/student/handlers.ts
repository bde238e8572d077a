// The student domain's part of the API: the training plan and run, model versions (detail, activate, compare, export,
// import) and classification of library images, files and labelled folders. api.ts merges the domains' maps.
import type { StudentContract } from './contract.js';
import type { Db } from '../db/database.js';
import { withSegmenterUse } from '../measure/segmenter-store.js';
import type { StudentApi } from './api.js';

export type StudentMethod = keyof StudentContract;

export function studentHandlers(db: Db, student: StudentApi): StudentContract {
  return {
    getTrainingPlan: async (request) => student.plan(request),
    startTraining: async (request) => student.startTraining(request),
    getTrainingProgress: async (jobId) => student.trainingProgress(jobId),
    // Each version says whether its segmenter is the one measurements use.
    listModelVersions: async () => withSegmenterUse(db, student.listVersions()),
    getModelVersion: (id) => student.version(id),
    activateModelVersion: async (id) => student.activate(id),
    compareModelVersions: (a, b) => student.compare(a, b),
    exportModelVersion: async (id, outDir) => student.exportVersion(id, outDir),
    importModelVersion: (dir) => student.importVersion(dir),
    startClassify: async (request) => student.startClassify(request),
    startClassifyFiles: async (request) => student.startClassifyFiles(request),
    startEvaluation: async (dir) => student.startEvaluation(dir),
  };
}
