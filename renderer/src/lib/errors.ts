// The one place the UI words a failure. A call that fails carries a code from the contract (ERROR_CODES) and the
// core's message with the specifics; the operator reads a short lead chosen by the code, then those specifics.
// The table is exhaustive over the codes, so a new code cannot reach the screen without its words.
import type { ErrorCode } from '../../../main/core/contract.js';
import { ApiError } from '../api/index.js';

const LEAD: Record<ErrorCode, string> = {
  invalid_arguments: 'Emma did not accept that input',
  unknown_method: "This window and Emma's core are different versions (reload the window)",
  bad_request: 'Emma did not understand the request',
  too_large: 'That is too large to send in one go',
  not_found: 'Not found (it may have been removed meanwhile)',
  exists: 'That already exists',
  conflict: 'Something changed meanwhile',
  invalid_state: 'Not possible right now',
  not_supported: 'Not supported',
  cancelled: 'Cancelled',
  forbidden: 'Not allowed',
  login_required: 'Please sign in again',
  bad_login: 'Sign-in failed',
  rate_limited: 'Too many attempts; wait a little and try again',
  outside_data_folders: 'That path is outside the data folders this server may read',
  unknown_class: 'No such class',
  no_class: 'Choose a class first',
  bad_undo: 'That cannot be undone',
  nothing_to_undo: 'Nothing to undo',
  undo_order: 'Undo the newer decision first',
  bad_edit: 'That edit could not be applied',
  bad_annotation: 'That caption or question–answer pair could not be saved',
  nothing_to_reject: 'There is no proposal to reject',
  empty_export: 'Nothing to export',
  egress_disabled: 'Teacher egress is off: nothing was sent',
  teacher_setup: 'The teacher is not set up',
  teacher_busy: 'The teacher is busy with another run',
  teacher_unreachable: 'The teacher could not be reached (network, timeout or a server error)',
  teacher_auth: 'The teacher refused the API key',
  teacher_rejected: 'The teacher rejected the request',
  teacher_failed: 'The teacher request failed',
  key_store_unavailable: 'The key store of this PC is not available',
  invalid_template: 'The prompt template is not valid',
  invalid_taxonomy: 'The class list is not valid',
  invalid_model: 'That folder is not a usable Emma model',
  image_unreadable: 'The image file could not be read',
  invalid_mask: 'The mask does not fit this image',
  bad_name: 'That name is not allowed',
  bad_role: 'Unknown role',
  weak_password: 'The password is too weak',
  database_damaged: 'The database file is damaged; Emma stopped writing to it',
  core_stopped: "Emma's core stopped; restart Emma",
  transport: "Emma's core did not answer properly (the action may or may not have happened)",
  internal: 'Something went wrong inside Emma',
};

/** The lead text for a code (for places that show only a title). */
export function errorLead(code: ErrorCode): string {
  return LEAD[code];
}

/** An operator-friendly message for anything a call (or the UI itself) threw. */
export function messageOf(e: unknown): string {
  if (e instanceof ApiError) {
    const lead = LEAD[e.code] ?? LEAD.internal;
    const detail = e.message.trim();
    return detail && detail !== lead ? `${lead}: ${detail}` : lead;
  }
  return e instanceof Error ? e.message : String(e);
}
