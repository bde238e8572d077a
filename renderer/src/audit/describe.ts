// One line per audit entry, in words, from its recorded details (pure; the full details stay in the tooltip and CSV).
import type { AuditEntry } from '../../../main/core/contract.js';

const str = (v: unknown): string | null => (typeof v === 'string' && v ? v : typeof v === 'number' ? String(v) : null);

export function describeAudit(e: AuditEntry): string {
  const d = e.details;
  switch (e.action) {
    case 'teacher.request': {
      const sha = str(d.imageSha256);
      return [
        str(d.purpose),
        str(d.model) && `${str(d.model)} at ${str(d.endpoint) ?? '?'}`,
        sha ? `image ${sha.slice(0, 12)}…` : 'no image',
        str(d.runId) && `run #${str(d.runId)}`,
        str(d.outcome),
        str(d.httpStatus) && `HTTP ${str(d.httpStatus)}`,
      ]
        .filter(Boolean)
        .join(' · ');
    }
    case 'teacher.egress.on':
      return `Egress switched on${str(d.via) ? ` (through ${str(d.via)})` : ''}: images may leave this PC`;
    case 'teacher.egress.off':
      return `Egress switched off${str(d.via) ? ` (through ${str(d.via)})` : ''}`;
    case 'teacher.run.start':
      return `Run #${str(d.runId)} started: ${str(d.images) ?? '?'} images, ${str(d.model) ?? ''}${str(d.budgetUsd) ? `, budget $${str(d.budgetUsd)}` : ''}${
        str(d.budgetTokens) ? `, budget ${str(d.budgetTokens)} tokens` : ''
      }`;
    case 'teacher.run.end':
      return `Run #${str(d.runId)} ${str(d.state) ?? 'ended'}${str(d.detail) ? `: ${str(d.detail)}` : ''}`;
    case 'teacher.config':
      return `Changed ${Array.isArray(d.changed) ? d.changed.join(', ') : 'settings'}`;
    default: {
      const parts = Object.entries(d)
        .filter(([, v]) => v !== null && v !== undefined && typeof v !== 'object')
        .map(([k, v]) => `${k}: ${String(v)}`);
      return parts.join(' · ').slice(0, 200);
    }
  }
}
