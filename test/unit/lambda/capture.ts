/** Powertools Logger and Metrics whose output a test reads: each log line's attributes, each published EMF blob. */
import { Logger, type LogItem } from '@aws-lambda-powertools/logger';
import type { LogAttributes } from '@aws-lambda-powertools/logger/types';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Observability } from '../../../src/lambda/observability';

class CapturingLogger extends Logger {
  public readonly lines: LogAttributes[] = [];

  protected override printLog(_logLevel: number, log: LogItem): void {
    log.prepareForPrint();
    this.lines.push(log.getAttributes());
  }
}

class CapturingMetrics extends Metrics {
  public readonly published: Record<string, unknown>[] = [];

  public override publishStoredMetrics(): this {
    if (this.hasStoredMetrics()) this.published.push(this.serializeMetrics());
    this.clearMetrics();
    this.clearDimensions();
    this.clearMetadata();
    return this;
  }
}

export const capturingObservability = (): Observability & { logger: CapturingLogger; metrics: CapturingMetrics } => {
  const logger = new CapturingLogger({ serviceName: 'doctrain-test', logLevel: 'INFO' });
  return { logger, metrics: new CapturingMetrics({ serviceName: 'doctrain-test', namespace: 'doctrain-test', logger }) };
};
