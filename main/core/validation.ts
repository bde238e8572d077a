import { z } from 'zod';
import type { EmmaApi, EmmaMethod } from './contract.js';
import { CoreError } from './errors.js';
import { librarySchemas } from './library/schemas.js';
import { jobsSchemas } from './jobs/schemas.js';
import { teacherSchemas } from './teacher/schemas.js';
import { reviewSchemas } from './review/schemas.js';
import { studentSchemas } from './student/schemas.js';
import { chatSchemas } from './chat/schemas.js';
import { measureSchemas } from './measure/schemas.js';
import { auditSchemas } from './audit/schemas.js';

// Every argument that crosses a process boundary is checked here, once, for every binding, by its domain's schema.

/**
 * One schema per method, typed against the contract: a method without its schema, or a schema whose parsed value
 * is not the method's parameter list, is a compile error (so validation cannot drift from the interface).
 */
export type ArgumentSchemas = { [M in EmmaMethod]: z.ZodType<Parameters<EmmaApi[M]>> };

export const ARGUMENT_SCHEMAS: ArgumentSchemas = {
  ...librarySchemas,
  ...jobsSchemas,
  ...teacherSchemas,
  ...reviewSchemas,
  ...studentSchemas,
  ...chatSchemas,
  ...measureSchemas,
  ...auditSchemas,
};

export class InvalidArgumentsError extends CoreError<'invalid_arguments'> {
  constructor(message: string) {
    super('invalid_arguments', message);
  }
}

export function validateArguments<M extends EmmaMethod>(method: M, args: unknown): Parameters<EmmaApi[M]> {
  const schema: z.ZodType<Parameters<EmmaApi[M]>> = ARGUMENT_SCHEMAS[method];
  const parsed = schema.safeParse(args);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InvalidArgumentsError(`${method}: invalid arguments at ${issue?.path.join('.') || '(root)'}: ${issue?.message}`);
  }
  return parsed.data;
}
