/**
 * The handlers' Powertools Logger and Metrics on the local runtime: the same log lines and metrics as on
 * Lambda, printed readably (one line each, `time LEVEL function message key=value ...`) instead of as
 * JSON and EMF, to a sink the caller picks. Quiet unless asked: the level defaults to SILENT (tests,
 * library use); the CLI passes its own.
 */
import { Logger, type LogItem } from '@aws-lambda-powertools/logger';
import type { LogAttributes, LogLevel } from '@aws-lambda-powertools/logger/types';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DEPLOYMENT_SETTINGS } from '../src/contracts/settings';
import type { Observability } from '../src/lambda/observability';

export type LogSink = (line: string) => void;

export interface LocalObservabilityOptions {
  /** Default SILENT. */
  logLevel?: LogLevel;
  /** Default: standard error. */
  write?: LogSink;
}

/** Keys every Powertools line carries that a reader of one local process does not need on each line. */
const ROUTINE_KEYS = new Set([
  'level',
  'message',
  'timestamp',
  'service',
  'sampling_rate',
  'xray_trace_id',
  'cold_start',
  'function_arn',
  'function_memory_size',
  'function_request_id',
  'function_name',
]);

const show = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value));

/** One log line as a person reads it. */
export const readableLogLine = (attributes: LogAttributes): string => {
  const time = typeof attributes['timestamp'] === 'string' ? attributes['timestamp'].slice(11, 23) : '';
  const where = show(attributes['function_name'] ?? attributes['service'] ?? '');
  const rest = Object.entries(attributes)
    .filter(([key, value]) => !ROUTINE_KEYS.has(key) && value !== undefined)
    .map(([key, value]) => `${key}=${show(value)}`);
  return [time, show(attributes['level']).padEnd(5), where, show(attributes['message']), ...rest].filter((part) => part !== '').join(' ');
};

class ReadableLogger extends Logger {
  public constructor(
    options: ConstructorParameters<typeof Logger>[0],
    private readonly write: LogSink,
  ) {
    super(options);
  }

  protected override printLog(_logLevel: number, log: LogItem): void {
    log.prepareForPrint();
    this.write(readableLogLine(log.getAttributes()));
  }
}

/** Metrics as a log line of the invocation (the run keys of its metadata included), not an EMF blob. */
class LoggedMetrics extends Metrics {
  public constructor(
    options: ConstructorParameters<typeof Metrics>[0],
    private readonly logger: Logger,
  ) {
    super(options);
  }

  public override publishStoredMetrics(): this {
    try {
      if (this.hasStoredMetrics()) {
        const { _aws, ...values } = this.serializeMetrics();
        const names = new Set(_aws.CloudWatchMetrics.flatMap((set) => set.Metrics.map((metric) => metric.Name)));
        const figures = Object.fromEntries(Object.entries(values).filter(([key]) => names.has(key)));
        this.logger.info('metrics', figures);
      }
    } finally {
      this.clearMetrics();
      this.clearDimensions();
      this.clearMetadata();
    }
    return this;
  }
}

export const localObservability = (options: LocalObservabilityOptions = {}): Observability => {
  const write = options.write ?? ((line: string) => void process.stderr.write(`${line}\n`));
  // The names the functions get on AWS (their defaults are what serverless.yml writes).
  const serviceName = DEPLOYMENT_SETTINGS.POWERTOOLS_SERVICE_NAME.schema.parse(undefined);
  const namespace = DEPLOYMENT_SETTINGS.POWERTOOLS_METRICS_NAMESPACE.schema.parse(undefined);
  const logger = new ReadableLogger({ serviceName, logLevel: options.logLevel ?? 'SILENT' }, write);
  return { logger, metrics: new LoggedMetrics({ serviceName, namespace, logger }, logger) };
};
