import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cgroupCpuQuota, cpuBudget } from '../../../local/textract/cpu-budget';

let root: string | undefined;
const cgroup = (files: Record<string, string>): string => {
  root = mkdtempSync(path.join(os.tmpdir(), 'doctrain-cgroup-'));
  for (const [name, body] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    writeFileSync(path.join(root, name), body);
  }
  return root;
};
afterEach(() => {
  if (root) rmSync(root, { recursive: true, force: true });
  root = undefined;
});

describe('the CPU budget', () => {
  it("reads a cgroup v2 quota in whole cores, rounded up, and none when it is 'max'", () => {
    expect(cgroupCpuQuota(cgroup({ 'cpu.max': '150000 100000\n' }))).toBe(2);
    expect(cgroupCpuQuota(cgroup({ 'cpu.max': 'max 100000\n' }))).toBeUndefined();
  });

  it('reads a cgroup v1 quota, and none without a quota', () => {
    expect(cgroupCpuQuota(cgroup({ 'cpu/cpu.cfs_quota_us': '400000', 'cpu/cpu.cfs_period_us': '100000' }))).toBe(4);
    expect(cgroupCpuQuota(cgroup({ 'cpu/cpu.cfs_quota_us': '-1', 'cpu/cpu.cfs_period_us': '100000' }))).toBeUndefined();
    expect(cgroupCpuQuota(cgroup({}))).toBeUndefined();
  });

  it('never exceeds the CPUs the process may run on, and DOCTRAIN_CPU_BUDGET overrides it', () => {
    expect(cpuBudget({})).toBeGreaterThanOrEqual(1);
    expect(cpuBudget({})).toBeLessThanOrEqual(os.availableParallelism());
    expect(cpuBudget({ DOCTRAIN_CPU_BUDGET: '3' })).toBe(3);
    expect(cpuBudget({ DOCTRAIN_CPU_BUDGET: 'lots' })).toBe(cpuBudget({}));
  });
});
