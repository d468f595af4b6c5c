/**
 * Thin-handler factory: every Lambda is `decode + validate -> domain function`. Validation errors
 * surface as InvalidInputError so the ASL can tell bad input from transient failures.
 */
import middy from '@middy/core';
import type { z } from 'zod';
import { parseOrThrow } from '../validation';

export const defineHandler = <S extends z.ZodType, R>(
  name: string,
  eventSchema: S,
  /** The domain function; a synchronous one (ValidateInput) is fine too. */
  run: (event: z.output<S>) => R | Promise<R>,
) =>
  middy(async (event: unknown): Promise<R> => run(parseOrThrow(eventSchema, event, `${name} event`)));
