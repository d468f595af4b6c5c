import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../src/contracts/errors';
import { parseEvent } from '../../../src/lambda/parse-event';

const context = {} as Context;
const schema = z.strictObject({ runId: z.string().min(1), batchSize: z.number().int().default(10) });

describe('parseEvent middleware', () => {
  it("hands the handler the schema's output (defaults applied), not the raw event", async () => {
    // Prepare
    const seen: unknown[] = [];
    const handler = middy((event: unknown) => Promise.resolve(void seen.push(event))).use(parseEvent('Plan', schema));
    // Act
    await handler({ runId: 'r1' }, context);
    // Assess
    expect(seen).toEqual([{ runId: 'r1', batchSize: 10 }]);
  });

  it('fails a bad event with an InvalidInputError naming the step and every bad field, before the handler runs', async () => {
    // Prepare
    const seen: unknown[] = [];
    const handler = middy((event: unknown) => Promise.resolve(void seen.push(event))).use(parseEvent('Plan', schema));
    // Act
    const attempt = handler({ runId: '', batchSize: 1.5, extra: true }, context);
    // Assess
    await expect(attempt).rejects.toBeInstanceOf(InvalidInputError);
    await expect(attempt).rejects.toThrow(/^Invalid Plan event: /);
    await expect(attempt).rejects.toThrow(/runId: .*batchSize: |batchSize: .*runId: /);
    await expect(attempt).rejects.toThrow('extra: unknown key');
    expect(seen).toEqual([]);
  });
});
