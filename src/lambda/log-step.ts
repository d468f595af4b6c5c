/**
 * Middy middleware: appends the run's keys (runId, execution, batch, document: those the parsed event
 * carries) to every log line of the invocation, and logs the step's start, end and failure. Runs after
 * parseEvent (it reads the parsed event) and inside Powertools' injectLambdaContext, which clears the
 * appended keys at the end of the invocation (`resetKeys: true`).
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { MiddlewareObj } from '@middy/core';
import * as z from 'zod';

/** The event fields that say which run, execution, batch or document a line is about, by log key. */
const runKeysSchema = z
  .looseObject({
    runId: z.string().optional(),
    executionName: z.string().optional(),
    batchIndex: z.number().optional(),
    documentKey: z.string().optional(),
  })
  .transform(({ runId, executionName, batchIndex, documentKey }) => ({
    ...(runId === undefined ? {} : { runId }),
    ...(executionName === undefined ? {} : { execution: executionName }),
    ...(batchIndex === undefined ? {} : { batch: batchIndex }),
    ...(documentKey === undefined ? {} : { document: documentKey }),
  }));

export type RunLogKeys = z.output<typeof runKeysSchema>;

/** The log keys an event carries; none for an event that is no object. */
export const runLogKeys = (event: unknown): RunLogKeys => {
  const parsed = runKeysSchema.safeParse(event);
  return parsed.success ? parsed.data : {};
};

export const logStep = (logger: Logger, stepName: string): MiddlewareObj<unknown, unknown> => {
  const started = new WeakMap<object, number>();
  return {
    before: (request): void => {
      logger.appendKeys(runLogKeys(request.event));
      started.set(request, Date.now());
      logger.info(`${stepName} started`);
    },
    after: (request): void => {
      logger.info(`${stepName} finished`, { durationMs: Date.now() - (started.get(request) ?? Date.now()) });
    },
    onError: (request): void => {
      // The error goes on unchanged to the state machine (its Retry/Catch match its name).
      logger.error(`${stepName} failed`, request.error ?? 'unknown error');
    },
  };
};
