import type { Context } from 'aws-lambda';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import * as z from 'zod';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../src/contracts/errors';
import { defineHandler } from '../../../src/lambda/handler';
import { capturingObservability } from './capture';

const context = { functionName: 'doctrain-test-step', awsRequestId: 'req-1' } as Context;

const schema = z.strictObject({
  bucket: z.string().min(3),
  runId: z.string().min(1),
  batchIndex: z.number().int().min(0),
  nested: z.strictObject({ runPrefix: z.string().min(1) }),
});

describe('defineHandler', () => {
  const calls: unknown[] = [];
  const observability = capturingObservability();
  const handler = defineHandler(
    {
      name: 'TestStep',
      eventSchema: schema,
      run: (event) => {
        calls.push(event);
        return Promise.resolve({ ok: true, batchIndex: event.batchIndex });
      },
      metrics: (result) => [{ name: 'Batches', unit: MetricUnit.Count, value: result.batchIndex }],
    },
    observability,
  );

  it('runs the domain function with the parsed event, logs with the run keys and publishes its metrics', async () => {
    // Prepare
    calls.length = 0;
    observability.logger.lines.length = 0;
    const event = { bucket: 'doctrain-dev', runId: 'run-1', batchIndex: 2, nested: { runPrefix: 'runs/r1/' } };
    // Act
    const result = await handler(event, context);
    // Assess
    expect(result).toEqual({ ok: true, batchIndex: 2 });
    expect(calls).toEqual([event]);
    expect(observability.logger.lines.map((line) => line['message'])).toEqual(['TestStep started', 'TestStep finished']);
    expect(observability.logger.lines[0]).toMatchObject({
      runId: 'run-1',
      batch: 2,
      function_name: 'doctrain-test-step',
      function_request_id: 'req-1',
    });
    expect(observability.metrics.published.at(-1)).toMatchObject({ Batches: 2, runId: 'run-1', batch: '2' });
  });

  it('forgets the run keys after the invocation (a warm container serves the next run)', async () => {
    // Prepare
    await handler({ bucket: 'doctrain-dev', runId: 'run-1', batchIndex: 0, nested: { runPrefix: 'x' } }, context);
    observability.logger.lines.length = 0;
    // Act
    observability.logger.info('between invocations');
    // Assess
    expect(observability.logger.lines[0]).not.toHaveProperty('runId');
  });

  it.each([
    [{ bucket: 'b', runId: 'r', batchIndex: 0, nested: { runPrefix: 'x' } }, 'bucket'],
    [{ bucket: 'doctrain-dev', runId: 'r', batchIndex: -1, nested: { runPrefix: 'x' } }, 'batchIndex'],
    [{ bucket: 'doctrain-dev', runId: 'r', batchIndex: '1', nested: { runPrefix: 'x' } }, 'batchIndex'],
    [{ bucket: 'doctrain-dev', runId: 'r', batchIndex: 0, nested: { runPrefix: '' } }, 'nested.runPrefix'],
    [{ bucket: 'doctrain-dev', runId: 'r', batchIndex: 0, nested: { runPrefix: 'x', extra: 1 } }, 'nested.extra'],
    [{ bucket: 'doctrain-dev', runId: 'r', batchIndex: 0 }, 'nested'],
  ])('rejects %j with an InvalidInputError naming %s, without running the step', async (event, field) => {
    // Prepare
    calls.length = 0;
    // Act
    const attempt = handler(event, context);
    // Assess
    await expect(attempt).rejects.toBeInstanceOf(InvalidInputError);
    await expect(attempt).rejects.toMatchObject({ name: 'InvalidInputError' });
    await expect(attempt).rejects.toThrow(/^Invalid TestStep event: /);
    await expect(attempt).rejects.toThrow(field);
    expect(calls).toEqual([]);
  });

  it('rejects a missing event (null) rather than crashing inside the step', async () => {
    await expect(handler(null, context)).rejects.toBeInstanceOf(InvalidInputError);
  });

  it("lets the domain function's own errors through unchanged, and logs the failure", async () => {
    // Prepare
    const boom = new RangeError('domain failure');
    const failing = capturingObservability();
    const handlerThatFails = defineHandler(
      { name: 'Failing', eventSchema: z.object({ runId: z.string() }), run: () => Promise.reject(boom) },
      failing,
    );
    // Act / Assess
    await expect(handlerThatFails({ runId: 'run-9' }, context)).rejects.toBe(boom);
    expect(failing.logger.lines.at(-1)).toMatchObject({
      level: 'ERROR',
      message: 'Failing failed',
      runId: 'run-9',
      error: { name: 'RangeError', message: 'domain failure' },
    });
  });
});
