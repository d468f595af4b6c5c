/**
 * Middy middleware: turns a step's result into EMF metrics on the Powertools Metrics instance that
 * `logMetrics` (used outside this one) publishes at the end of the invocation. The run is a property
 * (EMF metadata), not a dimension: a dimension per run would make a new CloudWatch metric per run, which
 * Powertools advises against for high-cardinality values; the run's figures are found by its runId in
 * CloudWatch Logs Insights, and the dimension-free series add up across runs.
 */
import type { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { MiddlewareObj } from '@middy/core';
import { runLogKeys } from './log-step';

export interface StepMetric {
  name: string;
  unit: (typeof MetricUnit)[keyof typeof MetricUnit];
  value: number;
}

export const stepMetrics = <R>(metrics: Metrics, toMetrics: (result: R) => readonly StepMetric[]): MiddlewareObj<unknown, R> => ({
  after: (request): void => {
    const result = request.response;
    const emitted = result === null ? [] : toMetrics(result);
    // Metrics a step added while it ran (PollTraining's checkpoint watchdog) get the run keys too.
    if (emitted.length === 0 && !metrics.hasStoredMetrics()) return;
    for (const [key, value] of Object.entries(runLogKeys(request.event))) metrics.addMetadata(key, String(value));
    for (const metric of emitted) metrics.addMetric(metric.name, metric.unit, metric.value);
  },
});
