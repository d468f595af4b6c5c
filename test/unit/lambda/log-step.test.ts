import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { logStep, runLogKeys } from '../../../src/lambda/log-step';
import { capturingObservability } from './capture';

const context = {} as Context;

describe('runLogKeys', () => {
  it('names the run, execution, batch and document an event carries, and nothing else', () => {
    // Act
    const keys = runLogKeys({ runId: 'r1', executionName: 'e1', batchIndex: 0, documentKey: 'documents/a.png', bucket: 'b' });
    // Assess
    expect(keys).toEqual({ runId: 'r1', execution: 'e1', batch: 0, document: 'documents/a.png' });
  });

  it.each([null, 'text', 42, { runId: 7 }])('gives no keys for %j', (event) => {
    expect(runLogKeys(event)).toEqual({});
  });
});

describe('logStep middleware', () => {
  it('logs start and end with the run keys appended to every line of the invocation', async () => {
    // Prepare
    const { logger } = capturingObservability();
    const handler = middy(async () => {
      logger.info('inside the step');
      return Promise.resolve('done');
    }).use(logStep(logger, 'OcrBatch'));
    // Act
    await handler({ runId: 'r1', batchIndex: 3 }, context);
    // Assess
    expect(logger.lines.map((line) => [line['message'], line['runId'], line['batch']])).toEqual([
      ['OcrBatch started', 'r1', 3],
      ['inside the step', 'r1', 3],
      ['OcrBatch finished', 'r1', 3],
    ]);
    expect(logger.lines.at(-1)?.['durationMs']).toEqual(expect.any(Number));
  });

  it('logs a failure with the error, and lets the error through unchanged', async () => {
    // Prepare
    const { logger } = capturingObservability();
    const boom = Object.assign(new Error('slow down'), { name: 'ThrottlingException' });
    const handler = middy(() => Promise.reject(boom)).use(logStep(logger, 'OcrBatch'));
    // Act
    const attempt = handler({ runId: 'r1' }, context);
    // Assess
    await expect(attempt).rejects.toBe(boom);
    expect(logger.lines.at(-1)).toMatchObject({
      level: 'ERROR',
      message: 'OcrBatch failed',
      runId: 'r1',
      error: { name: 'ThrottlingException' },
    });
  });
});
