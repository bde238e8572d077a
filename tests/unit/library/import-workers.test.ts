// When the importer starts its pool workers: only on whole cores that neither the import itself (its libvips
// threads included) nor other work keeps busy.
import { describe, expect, it } from 'vitest';
import { workersWorthStarting } from '../../../main/core/library/import-pool.js';

describe('workersWorthStarting', () => {
  it('starts none on a 2-core machine whose cores the importing thread and libvips already use', () => {
    expect(workersWorthStarting({ wanted: 1, cores: 2, coresInUse: 1.4, loadAverage1m: 1.2 })).toBe(0);
  });

  it('starts one where a whole core is idle', () => {
    expect(workersWorthStarting({ wanted: 1, cores: 2, coresInUse: 0.8, loadAverage1m: 0.9 })).toBe(1);
  });

  it('sizes the pool to the idle cores of a larger machine', () => {
    expect(workersWorthStarting({ wanted: 7, cores: 8, coresInUse: 1.5, loadAverage1m: 1.2 })).toBe(6);
  });

  it('counts other work on the machine through the load average', () => {
    expect(workersWorthStarting({ wanted: 7, cores: 8, coresInUse: 1.5, loadAverage1m: 6.5 })).toBe(1);
    expect(workersWorthStarting({ wanted: 7, cores: 8, coresInUse: 1.5, loadAverage1m: 9 })).toBe(0);
  });

  it('never starts more than asked for, and where the OS gives no load average uses the own rate alone', () => {
    expect(workersWorthStarting({ wanted: 3, cores: 16, coresInUse: 1, loadAverage1m: 0 })).toBe(3);
    expect(workersWorthStarting({ wanted: 0, cores: 16, coresInUse: 1, loadAverage1m: 0 })).toBe(0);
  });
});
