// The teacher domain's part of the API: each method of EmmaApi that the teacher service answers (settings, egress,
// taxonomy, templates, runs, interactive questions, records). api.ts merges the domains' maps into one EmmaApi (contract.ts: the union of their slices).
import type { TeacherContract } from './contract.js';
import type { TeacherService } from './service.js';

export type TeacherMethod = keyof TeacherContract;

export function teacherHandlers(teacher: TeacherService): TeacherContract {
  return {
    getTeacherSettings: () => teacher.getSettings(),
    updateTeacherConfig: (patch) => teacher.updateConfig(patch),
    setTeacherEgress: (enabled, person) => teacher.setEgress(enabled, person ?? undefined),
    setTeacherApiKey: (key) => teacher.setApiKey(key),
    testTeacherConnection: (overrides) => teacher.testConnection(overrides),
    listTaxonomySets: async () => teacher.listTaxonomySets(),
    applyTaxonomySet: (setId, mode) => teacher.applyTaxonomySet(setId, mode),
    listTaxonomy: async () => teacher.listTaxonomy(),
    saveTaxonomyClass: async (cls) => teacher.upsertClass(cls),
    renameTaxonomyClass: async (from, to) => teacher.renameClass(from, to),
    listTeacherTemplates: async () => teacher.listTemplates(),
    saveTeacherTemplate: async (draft) => teacher.saveTemplate(draft),
    startTeacherRun: (request, overrides) => teacher.startRun(request, overrides),
    listTeacherRuns: async (limit) => teacher.listRuns(limit),
    getTeacherRun: async (id) => teacher.getRun(id),
    listTeacherOutputs: async (query) => teacher.listOutputs(query),
    teacherAsk: (request) => teacher.ask(request),
    listTeacherAudit: async (limit) => teacher.listAudit(limit),
  };
}
