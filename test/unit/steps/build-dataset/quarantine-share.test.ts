import { describe, expect, it } from 'vitest';
import { quarantineShare } from '../../../../src/steps/build-dataset/step';

describe('quarantineShare', () => {
  it('is the quarantined share of everything the run was given', () => {
    expect(quarantineShare(1, 3)).toBe(0.25);
    expect(quarantineShare(5, 3)).toBe(0.625);
    expect(quarantineShare(0, 10)).toBe(0);
    expect(quarantineShare(4, 0)).toBe(1);
  });

  it('is 0 when the run had no input at all', () => {
    expect(quarantineShare(0, 0)).toBe(0);
  });
});
