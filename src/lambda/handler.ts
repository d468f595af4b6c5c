/**
 * Thin-handler factory: every Lambda is `parse the event -> domain function`, wrapped in middy with
 * Powertools' Logger and Metrics middlewares. The order of the middlewares (middy runs `before` in this
 * order and `after` in reverse):
 *   injectLambdaContext  Lambda context keys on every line; appended keys cleared after each invocation
 *   logMetrics           publishes the invocation's metrics (EMF) when it ends (steps with metrics only)
 *   parseEvent           event -> the schema's output, or InvalidInputError (src/lambda/parse-event.ts)
 *   logStep              run keys on every line, started/finished/failed lines (src/lambda/log-step.ts)
 *   stepMetrics          the result's metrics, when the step has any (src/lambda/step-metrics.ts)
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { z } from 'zod';
import { logStep } from './log-step';
import { parseEvent } from './parse-event';
import { stepMetrics, type StepMetric } from './step-metrics';
import type { Observability } from './observability';

export interface StepDefinition<S extends z.ZodType, R> {
  name: string;
  eventSchema: S;
  /** The domain function; a synchronous one (ValidateInput) is fine too. */
  run: (event: z.output<S>) => R | Promise<R>;
  /** The metrics a result carries, if the step has any. */
  metrics?: (result: R) => readonly StepMetric[];
}

export type LambdaHandler<R> = (event: unknown, context: Context) => Promise<R>;

export const defineHandler = <S extends z.ZodType, R>(step: StepDefinition<S, R>, { logger, metrics }: Observability): LambdaHandler<R> => {
  const handler = middy<unknown, R>().use(injectLambdaContext(logger, { resetKeys: true }));
  if (step.metrics !== undefined) handler.use(logMetrics(metrics));
  handler.use(parseEvent(step.name, step.eventSchema)).use(logStep(logger, step.name));
  if (step.metrics !== undefined) handler.use(stepMetrics(metrics, step.metrics));
  // parseEvent has replaced the event with the schema's output before the handler runs: the one place
  // that knows it, so the one conversion middy's single event type leaves to write.
  return handler.handler((event: unknown): R | Promise<R> => step.run(event as z.output<S>));
};
