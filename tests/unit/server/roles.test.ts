// Every API method has a role in lab-server mode, so a method added later cannot slip through unchecked.
import { describe, expect, it } from 'vitest';
import { EMMA_METHODS } from '../../../main/core/contract.js';
import { METHOD_ROLES, roleRefusal } from '../../../main/server/auth/roles.js';

describe('lab-server method roles', () => {
  it('names a role for every method of EMMA_METHODS, and nothing else', () => {
    const missing = EMMA_METHODS.filter((m) => !Object.prototype.hasOwnProperty.call(METHOD_ROLES, m));
    expect(missing, 'add these to main/server/auth/roles.ts').toEqual([]);
    const extra = Object.keys(METHOD_ROLES).filter((m) => !(EMMA_METHODS as readonly string[]).includes(m));
    expect(extra).toEqual([]);
    for (const role of Object.values(METHOD_ROLES)) expect(['operator', 'lead']).toContain(role);
  });

  it('keeps egress, taxonomy, teacher settings and prices, activation and audit for leads', () => {
    for (const m of [
      'setTeacherEgress',
      'updateTeacherConfig',
      'setTeacherApiKey',
      'applyTaxonomySet',
      'saveTaxonomyClass',
      'activateModelVersion',
      'listTeacherAudit',
    ] as const) {
      expect(METHOD_ROLES[m], m).toBe('lead');
      expect(roleRefusal(m, 'operator'), m).toMatch(/lead/);
      expect(roleRefusal(m, 'lead'), m).toBeNull();
    }
    for (const m of ['startImport', 'importUploads', 'decideReview', 'askStudent', 'askTeacherInChat', 'startTraining'] as const) {
      expect(roleRefusal(m, 'operator'), m).toBeNull();
    }
  });

  it('refuses a method that is not in the table', () => {
    expect(roleRefusal('dropTables', 'lead')).toMatch(/not available/);
    expect(roleRefusal('constructor', 'lead')).toMatch(/not available/);
    expect(roleRefusal('__proto__', 'lead')).toMatch(/not available/);
  });
});
