// Who may call what in lab-server mode. Checked on the server before every dispatch; a method that is not in
// this table is refused (tests/unit/server/roles.test.ts fails when a method of EMMA_METHODS has no entry, and
// the Record type makes a missing one a compile error). Operators import, review, chat, train and read; leads
// also switch egress, change the taxonomy, teacher settings, prompts and prices, start paid teacher batches,
// activate, import or export model versions, export data sets and read the audit log.
import type { EmmaMethod } from '../../core/contract.js';
import type { Role } from './users.js';

export const METHOD_ROLES: Readonly<Record<EmmaMethod, Role>> = {
  getStatus: 'operator',
  listImages: 'operator',
  getImage: 'operator',
  listClasses: 'operator',
  startImport: 'operator',
  startUpload: 'operator',
  importUploads: 'operator',
  getJob: 'operator',
  listJobs: 'operator',
  cancelJob: 'operator',
  getTeacherSettings: 'operator',
  updateTeacherConfig: 'lead',
  setTeacherEgress: 'lead',
  setTeacherApiKey: 'lead',
  testTeacherConnection: 'lead',
  listTaxonomySets: 'operator',
  applyTaxonomySet: 'lead',
  listTaxonomy: 'operator',
  saveTaxonomyClass: 'lead',
  listTeacherTemplates: 'operator',
  saveTeacherTemplate: 'lead',
  startTeacherRun: 'lead',
  listTeacherRuns: 'operator',
  getTeacherRun: 'operator',
  listTeacherOutputs: 'operator',
  teacherAsk: 'operator',
  listTeacherAudit: 'lead',
  getReviewQueue: 'operator',
  getReviewItem: 'operator',
  decideReview: 'operator',
  undoReview: 'operator',
  listReviewHistory: 'operator',
  assignLabels: 'operator',
  addAnnotation: 'operator',
  getReviewStats: 'operator',
  exportReview: 'lead',
  listReviewExports: 'operator',
  getTrainingPlan: 'operator',
  startTraining: 'operator',
  getTrainingProgress: 'operator',
  listModelVersions: 'operator',
  getModelVersion: 'operator',
  activateModelVersion: 'lead',
  compareModelVersions: 'operator',
  exportModelVersion: 'lead',
  importModelVersion: 'lead',
  startClassify: 'operator',
  startClassifyFiles: 'operator',
  startEvaluation: 'operator',
  askStudentOnce: 'operator',
  findSimilar: 'operator',
  findByText: 'operator',
  getStudentCapabilities: 'operator',
  askStudent: 'operator',
  askTeacherInChat: 'operator',
  correctChatAnswer: 'operator',
  listChat: 'operator',
  searchImagesByText: 'operator',
  measureImage: 'operator',
  startMeasure: 'operator',
  startMeasureFiles: 'operator',
  importMasks: 'operator',
  startMaskImport: 'operator',
  // Drawing masks is an operator's correction work, like review.
  getEditableMask: 'operator',
  saveImageMask: 'operator',
  // The audit log and the taxonomy are the lab lead's; scale and calibration are an operator's everyday work.
  listAuditLog: 'lead',
  exportAuditCsv: 'lead',
  renameTaxonomyClass: 'lead',
  getImageCalibration: 'operator',
  setImageScale: 'operator',
  getDataBarImage: 'operator',
};

const RANK: Record<Role, number> = { operator: 1, lead: 2 };

/** null when the role may call the method; otherwise the refusal, naming the role it needs. */
export function roleRefusal(method: string, role: Role): string | null {
  const needed = Object.prototype.hasOwnProperty.call(METHOD_ROLES, method) ? METHOD_ROLES[method as EmmaMethod] : undefined;
  if (!needed) return 'This method is not available in lab-server mode.';
  if (RANK[role] < RANK[needed]) return `Only a lead may do this (${method}); you are signed in as an operator.`;
  return null;
}
