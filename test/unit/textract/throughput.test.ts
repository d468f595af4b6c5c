/**
 * The Textract limiter and throttling errors. Time is vitest's fake clock; every assertion counts calls at
 * a given fake instant, none depends on how fast the machine is. The client is a real TextractClient (its
 * real retry strategy and middleware stack) over an in-memory request handler that answers like Textract.
 */
import {
  DetectDocumentTextCommand,
  GetDocumentTextDetectionCommand,
  InvalidParameterException,
  ProvisionedThroughputExceededException,
  TextractClient,
} from '@aws-sdk/client-textract';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ThrottlingError } from '../../../src/contracts/errors';
import { TEXTRACT_APIS, type TextractTps } from '../../../src/contracts/textract-tps';
import {
  TextractLimiter,
  defaultTextractQuotas,
  mapTextractThrottling,
  ocrConcurrencyFor,
  splitTextractTps,
} from '../../../src/textract/throughput';

const tpsOf = (detect: number, analyze: number, start: number, get: number): TextractTps => ({
  DetectDocumentText: detect,
  AnalyzeDocument: analyze,
  StartDocumentTextDetection: start,
  GetDocumentTextDetection: get,
});

/** Answers each request with the next status/error in `script` (the last one repeats). */
/** The real setTimeout, taken before the tests fake the clock. */
const REAL_SET_TIMEOUT = globalThis.setTimeout;
const realDelay = (ms: number): Promise<void> => new Promise((resolve) => REAL_SET_TIMEOUT(resolve, ms));

/**
 * Runs the fake clock until `promise` settles. The SDK does part of its work off the clock (signing, body
 * parsing), so one big advance can end before a retry's timer is even set, and a loaded machine makes that
 * likelier; stepping the clock and yielding real time in between settles it whatever the load.
 */
const settle = async <T>(promise: Promise<T>, stepMs = 500, maxSteps = 2000): Promise<T> => {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  for (let step = 0; step < maxSteps && !settled; step++) {
    await vi.advanceTimersByTimeAsync(stepMs);
    if (!settled) await realDelay(1);
  }
  return promise;
};

const scriptedTextract = (script: readonly string[], maxAttempts: number) => {
  const seen: string[] = [];
  const client = new TextractClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts,
    requestHandler: {
      handle: (request: { headers: Record<string, string> }) => {
        const answer = script[Math.min(seen.length, script.length - 1)] ?? 'OK';
        seen.push(request.headers['x-amz-target'] ?? '');
        const ok = answer === 'OK';
        const body = ok
          ? { DocumentMetadata: { Pages: 1 }, Blocks: [], JobStatus: 'SUCCEEDED' }
          : { __type: `com.amazonaws.textract#${answer}`, message: `${answer} (scripted)` };
        return Promise.resolve({
          response: {
            statusCode: ok ? 200 : 400,
            headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': `req-${seen.length}` },
            body: Buffer.from(JSON.stringify(body)),
          },
        });
      },
    },
  });
  return { client, seen };
};

describe('Textract quotas', () => {
  it('defaults to the published per-region quotas, and 1 TPS in the other regions', () => {
    expect(defaultTextractQuotas('us-east-1')).toEqual(tpsOf(25, 10, 15, 15));
    expect(defaultTextractQuotas('us-west-2')).toEqual(tpsOf(25, 10, 15, 15));
    expect(defaultTextractQuotas('us-east-2')).toEqual(tpsOf(10, 10, 5, 5));
    expect(defaultTextractQuotas('eu-west-1')).toEqual(tpsOf(5, 5, 5, 5));
    expect(defaultTextractQuotas('ap-south-1')).toEqual(tpsOf(5, 5, 5, 5));
    expect(defaultTextractQuotas('sa-east-1')).toEqual(tpsOf(1, 1, 1, 1));
  });

  it.each([
    ['us-east-1', 10, 10],
    ['us-east-1', 40, 25],
    ['eu-west-1', 10, 5],
    ['ca-central-1', 10, 1],
  ])('in %s with at most %i iterations, the OCR Map runs %i, and their shares add up to the quota', (region, max, expected) => {
    // Prepare
    const quotas = defaultTextractQuotas(region);
    // Act
    const concurrency = ocrConcurrencyFor(quotas, max);
    const share = splitTextractTps(quotas, concurrency);
    // Assess
    expect(concurrency).toBe(expected);
    for (const api of TEXTRACT_APIS) expect(share[api] * concurrency).toBeCloseTo(quotas[api], 9);
    // A sync request takes about a second: every iteration gets at least one DetectDocumentText per second.
    expect(share.DetectDocumentText).toBeGreaterThanOrEqual(1);
  });

  it('refuses a concurrency that is not a positive integer', () => {
    expect(() => splitTextractTps(tpsOf(1, 1, 1, 1), 0)).toThrow(RangeError);
    expect(() => splitTextractTps(tpsOf(1, 1, 1, 1), 1.5)).toThrow(RangeError);
  });
});

describe('TextractLimiter', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('lets through at most its TPS per API, spread evenly, and each API on its own', async () => {
    // Prepare: 2 TPS for DetectDocumentText, 0.5 TPS (one call per 2 s) for GetDocumentTextDetection.
    const limiter = new TextractLimiter(tpsOf(2, 10, 10, 0.5));
    const started = { detect: 0, get: 0 };
    const calls = [
      ...Array.from({ length: 10 }, () => limiter.schedule('DetectDocumentText', () => Promise.resolve(++started.detect))),
      ...Array.from({ length: 3 }, () => limiter.schedule('GetDocumentTextDetection', () => Promise.resolve(++started.get))),
    ];
    // Act + Assess: count what has started at fixed instants of the fake clock.
    await vi.advanceTimersByTimeAsync(0);
    expect(started).toEqual({ detect: 1, get: 1 });
    await vi.advanceTimersByTimeAsync(999);
    expect(started).toEqual({ detect: 2, get: 1 }); // t = 999 ms: 2 Detect in the first second, never 3
    await vi.advanceTimersByTimeAsync(1);
    expect(started).toEqual({ detect: 3, get: 1 });
    await vi.advanceTimersByTimeAsync(1000);
    expect(started).toEqual({ detect: 5, get: 2 }); // t = 2 s
    await vi.advanceTimersByTimeAsync(10_000);
    expect(started).toEqual({ detect: 10, get: 3 });
    await Promise.all(calls);
    expect(limiter.attempts).toMatchObject({ DetectDocumentText: 10, GetDocumentTextDetection: 3, AnalyzeDocument: 0 });
  });

  it('rejects quotas that are not positive numbers', () => {
    expect(() => new TextractLimiter(tpsOf(0, 1, 1, 1))).toThrow();
    expect(() => new TextractLimiter({ ...tpsOf(1, 1, 1, 1), AnalyzeExpense: 1 } as TextractTps)).toThrow();
  });

  it('holds every attempt to the rate, SDK retries included, and returns the answer once one succeeds', async () => {
    // Prepare: throttled twice, then answered. 1 TPS: the three attempts cannot be closer than 1 s apart.
    const { client, seen } = scriptedTextract(['ProvisionedThroughputExceededException', 'ThrottlingException', 'OK'], 6);
    const limiter = new TextractLimiter(tpsOf(1, 1, 1, 1));
    // Act
    const pending = limiter.send(client, 'DetectDocumentText', new DetectDocumentTextCommand({ Document: { Bytes: new Uint8Array([1]) } }));
    const response = await settle(pending);
    // Assess
    expect(response.DocumentMetadata?.Pages).toBe(1);
    expect(response.$metadata.attempts).toBe(3);
    expect(seen).toEqual(Array.from({ length: 3 }, () => 'Textract.DetectDocumentText'));
    expect(limiter.attempts.DetectDocumentText).toBe(3);
  });

  it('spaces retries through the limiter: a burst of attempts waits for the rate, not only the backoff', async () => {
    // Prepare: 0.25 TPS = one attempt per 4 s; the SDK's backoff alone would retry within ~1-2 s.
    const { client, seen } = scriptedTextract(['ThrottlingException', 'OK'], 6);
    const limiter = new TextractLimiter(tpsOf(0.25, 1, 1, 1));
    // Act
    const pending = limiter.send(client, 'DetectDocumentText', new DetectDocumentTextCommand({ Document: { Bytes: new Uint8Array([1]) } }));
    while (seen.length === 0) await realDelay(1); // the first attempt leaves at once
    await vi.advanceTimersByTimeAsync(3_999);
    // Assess
    expect(seen).toHaveLength(1);
    await settle(pending);
    expect(seen).toHaveLength(2);
  });

  it.each(['ProvisionedThroughputExceededException', 'ThrottlingException', 'LimitExceededException'])(
    'surfaces %s left after the last retry as a ThrottlingError, the SDK error as its cause, never wrapped',
    async (exception) => {
      // Prepare
      const { client, seen } = scriptedTextract([exception], 3);
      const limiter = new TextractLimiter(tpsOf(10, 10, 10, 10));
      // Act
      const pending = limiter.send(client, 'GetDocumentTextDetection', new GetDocumentTextDetectionCommand({ JobId: 'job-1' })).then(
        () => undefined,
        (error: unknown) => error,
      );
      const error = await settle(pending);
      // Assess: exactly our typed error, one level over the SDK's own exception
      expect(seen).toHaveLength(3);
      expect(error).toBeInstanceOf(ThrottlingError);
      expect((error as Error).constructor).toBe(ThrottlingError);
      expect((error as Error).name).toBe('ThrottlingError');
      expect((error as Error).message).toContain(exception);
      expect((error as Error).message).toContain('GetDocumentTextDetection');
      expect((error as Error).message).toContain('after 3 attempts');
      const cause = (error as Error).cause as Error & { $metadata: { attempts: number } };
      expect(cause.name).toBe(exception);
      expect(cause.$metadata.attempts).toBe(3);
      expect(cause).not.toBeInstanceOf(ThrottlingError);
    },
  );

  it('lets a non-throttling error through unchanged and does not retry it', async () => {
    // Prepare
    const { client, seen } = scriptedTextract(['InvalidParameterException'], 6);
    const limiter = new TextractLimiter(tpsOf(10, 10, 10, 10));
    // Act
    const pending = limiter
      .send(client, 'DetectDocumentText', new DetectDocumentTextCommand({ Document: { Bytes: new Uint8Array([1]) } }))
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    const error = await settle(pending);
    // Assess
    expect(error).toBeInstanceOf(InvalidParameterException);
    expect(seen).toHaveLength(1);
  });
});

describe('mapTextractThrottling', () => {
  it('maps a throttling exception to a ThrottlingError with the original as cause, anything else to itself', () => {
    // Prepare
    const throttled = new ProvisionedThroughputExceededException({ message: 'Provisioned rate exceeded', $metadata: {} });
    const invalid = new InvalidParameterException({ message: 'bad', $metadata: {} });
    const network = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    // Act
    const mapped = mapTextractThrottling(throttled, 'DetectDocumentText');
    // Assess
    expect(mapped).toBeInstanceOf(ThrottlingError);
    expect((mapped as ThrottlingError).cause).toBe(throttled);
    expect(mapTextractThrottling(invalid, 'DetectDocumentText')).toBe(invalid);
    expect(mapTextractThrottling(network, 'DetectDocumentText')).toBe(network);
    expect(mapTextractThrottling('not an error', 'DetectDocumentText')).toBe('not an error');
  });
});
