/**
 * Textract throughput: the per-API TPS quotas, how a run splits them over its OCR Map iterations, the
 * limiter that holds one iteration to its share, and the mapping of throttling errors onto the typed
 * ThrottlingError the state machine retries.
 *
 * Three layers, inner to outer:
 *  1. the limiter (p-throttle) spaces every attempt of a call (retries included) to this iteration's share;
 *  2. the SDK's standard retry strategy retries throttling errors with full-jitter exponential backoff
 *     (base 1 s for throttling, cap 20 s) up to TEXTRACT_MAX_ATTEMPTS attempts. Adaptive mode was considered
 *     and left off: it adds a second client-side rate limiter whose rate it lowers after each throttle (down
 *     to 0.5 TPS) and which is shared by every iteration using the client, so a burst of throttles in one
 *     iteration would slow all of them below their share for the rest of the process; layer 1 already
 *     holds the quota;
 *  3. when the SDK gives up, the error surfaces as ThrottlingError (the SDK's error as `cause`, never
 *     wrapped further) and the OCR Map's Retry on `ThrottlingError` reruns the batch with jittered backoff
 *     (finished documents are OCR cache hits by then).
 */
import type { ServiceInputTypes, ServiceOutputTypes, TextractClient, TextractClientResolvedConfig } from '@aws-sdk/client-textract';
import type { Command } from '@smithy/types';
import pThrottle from 'p-throttle';
import { ThrottlingError } from '../contracts/errors';
import { textractTpsSchema, type TextractApi, type TextractTps } from '../contracts/textract-tps';

/** Five attempts after the first: what the Textract developer guide recommends ("a retry count of 5"). */
export const TEXTRACT_MAX_ATTEMPTS = 6;

const quota = (detect: number, analyze: number, start: number, get: number): TextractTps => ({
  DetectDocumentText: detect,
  AnalyzeDocument: analyze,
  StartDocumentTextDetection: start,
  GetDocumentTextDetection: get,
});

/**
 * Default per-account quotas (AWS general reference, "Amazon Textract endpoints and quotas"). The Get*
 * quotas could not be checked against a published table from here; they are set to the region's
 * StartDocumentTextDetection quota, which no region's Get* quota is below, so the default errs on the slow
 * side. Override them (settings `textractTps*`) with the values of your account's Service Quotas console.
 */
const REGION_QUOTAS: Readonly<Record<string, TextractTps>> = {
  'us-east-1': quota(25, 10, 15, 15),
  'us-west-2': quota(25, 10, 15, 15),
  'us-east-2': quota(10, 10, 5, 5),
  'eu-west-1': quota(5, 5, 5, 5),
  'ap-south-1': quota(5, 5, 5, 5),
};
const OTHER_REGIONS_QUOTA = quota(1, 1, 1, 1);

export const defaultTextractQuotas = (region: string): TextractTps => REGION_QUOTAS[region] ?? OTHER_REGIONS_QUOTA;

/**
 * How many OCR Map iterations run at once. Each iteration sends one synchronous request at a time, so more
 * iterations than the DetectDocumentText quota only queue on their limiters; fewer waste quota.
 */
export const ocrConcurrencyFor = (quotas: TextractTps, maxConcurrency: number): number =>
  Math.max(1, Math.min(maxConcurrency, Math.floor(quotas.DetectDocumentText)));

/**
 * On AWS each Map iteration is its own Lambda process with its own limiter, so the account's quota is
 * split evenly: concurrency x share = quota for every API, never more.
 */
export const splitTextractTps = (quotas: TextractTps, concurrency: number): TextractTps => {
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError(`concurrency must be a positive integer, got ${concurrency}`);
  const share = (value: number): number => value / concurrency;
  return quota(
    share(quotas.DetectDocumentText),
    share(quotas.AnalyzeDocument),
    share(quotas.StartDocumentTextDetection),
    share(quotas.GetDocumentTextDetection),
  );
};

const THROTTLING_EXCEPTIONS: ReadonlySet<string> = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'LimitExceededException',
]);

const errorName = (error: unknown): string =>
  typeof error === 'object' && error !== null && typeof (error as { name?: unknown }).name === 'string'
    ? (error as { name: string }).name
    : '';

export const isTextractThrottling = (error: unknown): boolean => THROTTLING_EXCEPTIONS.has(errorName(error));

/**
 * A throttling exception becomes a ThrottlingError whose `cause` is the SDK's error; anything else is
 * returned unchanged (the caller maps what else it knows, e.g. refused documents, and rethrows the rest).
 */
export const mapTextractThrottling = (error: unknown, api: TextractApi): unknown => {
  if (!isTextractThrottling(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  const attempts = (error as { $metadata?: { attempts?: number } }).$metadata?.attempts;
  const tried = attempts === undefined ? '' : ` after ${attempts} attempt${attempts === 1 ? '' : 's'}`;
  return new ThrottlingError(`Textract ${api} throttled${tried} (${errorName(error)}): ${message}`, { cause: error });
};

type Gate = <T>(task: () => Promise<T>) => Promise<T>;

/** A Textract command, e.g. `new DetectDocumentTextCommand(input)`. */
type TextractCommand<I extends ServiceInputTypes, O extends ServiceOutputTypes> = Command<
  ServiceInputTypes,
  I,
  ServiceOutputTypes,
  O,
  TextractClientResolvedConfig
>;

/**
 * Holds one process to its TPS per Textract API. Every attempt counts, SDK retries included: the gate is
 * a middleware on the command, placed inside the SDK's retry middleware (same step, lower priority).
 */
export class TextractLimiter {
  private readonly gates: Readonly<Record<TextractApi, Gate>>;
  /** Attempts let through, per API (for reports and tests). */
  public readonly attempts: Record<TextractApi, number> = {
    DetectDocumentText: 0,
    AnalyzeDocument: 0,
    StartDocumentTextDetection: 0,
    GetDocumentTextDetection: 0,
  };

  public constructor(public readonly tps: TextractTps) {
    const parsed = textractTpsSchema.parse(tps);
    const gate = (api: TextractApi): Gate => {
      // One call per 1/tps seconds, strictly: no burst above the share in any window.
      const throttled = pThrottle({ limit: 1, interval: 1000 / parsed[api], strict: true })((task: () => Promise<unknown>) => {
        this.attempts[api] += 1;
        return task();
      });
      return <T>(task: () => Promise<T>) => throttled(task) as Promise<T>;
    };
    this.gates = {
      DetectDocumentText: gate('DetectDocumentText'),
      AnalyzeDocument: gate('AnalyzeDocument'),
      StartDocumentTextDetection: gate('StartDocumentTextDetection'),
      GetDocumentTextDetection: gate('GetDocumentTextDetection'),
    };
  }

  /** Runs `task` when `api`'s share allows it. */
  public schedule<T>(api: TextractApi, task: () => Promise<T>): Promise<T> {
    return this.gates[api](task);
  }

  /**
   * Sends `command` (an `api` command) through `client`: each attempt waits for the limiter, the SDK
   * retries throttling with jitter, and a throttling error left after the last attempt is a ThrottlingError.
   * A command is sent once (the limiter adds itself to the command's own middleware stack); build a new one
   * per call, as the SDK expects anyway.
   */
  public async send<I extends ServiceInputTypes, O extends ServiceOutputTypes>(
    client: TextractClient,
    api: TextractApi,
    command: TextractCommand<I, O>,
  ): Promise<O> {
    command.middlewareStack.add((next) => (args) => this.schedule(api, () => next(args)), {
      step: 'finalizeRequest',
      priority: 'low',
      name: 'doctrainTextractLimiter',
    });
    try {
      return await client.send(command);
    } catch (error) {
      throw mapTextractThrottling(error, api);
    }
  }
}
