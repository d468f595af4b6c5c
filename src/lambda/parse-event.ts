/**
 * Middy middleware: parses the event with the step's zod schema before anything else sees it, replacing
 * it with the parsed value (defaults applied, types narrowed). A bad event fails as InvalidInputError
 * naming every bad field, so the ASL can tell bad input from transient failures; the step never runs.
 */
import type { MiddlewareObj } from '@middy/core';
import type { z } from 'zod';
import { parseOrThrow } from '../validation';

export const parseEvent = <S extends z.ZodType>(stepName: string, schema: S): MiddlewareObj<unknown, unknown> => ({
  before: (request): void => {
    request.event = parseOrThrow(schema, request.event, `${stepName} event`);
  },
});
