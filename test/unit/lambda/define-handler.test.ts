import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../src/contracts/errors';
import { defineHandler } from '../../../src/lambda/handler';
import { requireEnv } from '../../../src/lambda/env';

const context = {} as Context;

const schema = z.strictObject({
  bucket: z.string().min(3),
  batchIndex: z.number().int().min(0),
  nested: z.strictObject({ runPrefix: z.string().min(1) }),
});

describe('defineHandler', () => {
  const calls: unknown[] = [];
  const handler = defineHandler('TestStep', schema, (event) => {
    calls.push(event);
    return Promise.resolve({ ok: true, batchIndex: event.batchIndex });
  });

  it('runs the domain function with the parsed event', async () => {
    // Prepare
    calls.length = 0;
    const event = { bucket: 'doctrain-dev', batchIndex: 2, nested: { runPrefix: 'runs/r1/' } };
    // Act
    const result = await handler(event, context);
    // Assess
    expect(result).toEqual({ ok: true, batchIndex: 2 });
    expect(calls).toEqual([event]);
  });

  it.each([
    [{ bucket: 'b', batchIndex: 0, nested: { runPrefix: 'x' } }, 'bucket'],
    [{ bucket: 'doctrain-dev', batchIndex: -1, nested: { runPrefix: 'x' } }, 'batchIndex'],
    [{ bucket: 'doctrain-dev', batchIndex: '1', nested: { runPrefix: 'x' } }, 'batchIndex'],
    [{ bucket: 'doctrain-dev', batchIndex: 0, nested: { runPrefix: '' } }, 'nested.runPrefix'],
    [{ bucket: 'doctrain-dev', batchIndex: 0, nested: { runPrefix: 'x', extra: 1 } }, 'nested.extra'],
    [{ bucket: 'doctrain-dev', batchIndex: 0 }, 'nested'],
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

  it('lets the domain function\'s own errors through unchanged', async () => {
    // Prepare
    const boom = new RangeError('domain failure');
    const failing = defineHandler('Failing', z.object({}), () => Promise.reject(boom));
    // Act / Assess
    await expect(failing({}, context)).rejects.toBe(boom);
  });
});

describe('requireEnv', () => {
  it('returns a set variable and names a missing one', () => {
    expect(requireEnv('X', { X: 'v' })).toBe('v');
    expect(() => requireEnv('DOCTRAIN_TABLE', {})).toThrow(/DOCTRAIN_TABLE is not set/);
    expect(() => requireEnv('DOCTRAIN_TABLE', { DOCTRAIN_TABLE: '' })).toThrow(/DOCTRAIN_TABLE/);
  });
});
