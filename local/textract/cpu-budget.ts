/**
 * How many cores this process may keep busy: the smaller of the CPUs it may run on (os.availableParallelism:
 * the scheduler affinity) and the container's CPU quota (cgroup v2 `cpu.max`, or v1 `cpu.cfs_quota_us` /
 * `cpu.cfs_period_us`), which os.availableParallelism does not read: a container limited to 2 CPUs on a
 * 64-core host gets 2 OCR readers, not 64 that thrash. DOCTRAIN_CPU_BUDGET overrides it.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';

const read = (file: string): string | undefined => {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
};

/** The CPU quota of the process' cgroup in cores (rounded up), or undefined for none. */
export const cgroupCpuQuota = (root = '/sys/fs/cgroup'): number | undefined => {
  const v2 = read(`${root}/cpu.max`)?.split(/\s+/);
  if (v2 !== undefined && v2[0] !== undefined && v2[0] !== 'max') {
    const [quota, period] = [Number(v2[0]), Number(v2[1] ?? 100_000)];
    if (quota > 0 && period > 0) return Math.max(1, Math.ceil(quota / period));
  }
  const quota = Number(read(`${root}/cpu/cpu.cfs_quota_us`) ?? read(`${root}/cpu.cfs_quota_us`));
  const period = Number(read(`${root}/cpu/cpu.cfs_period_us`) ?? read(`${root}/cpu.cfs_period_us`));
  if (quota > 0 && period > 0) return Math.max(1, Math.ceil(quota / period));
  return undefined;
};

export const cpuBudget = (env: NodeJS.ProcessEnv = process.env): number => {
  const override = Number(env['DOCTRAIN_CPU_BUDGET']);
  if (Number.isInteger(override) && override >= 1) return override;
  return Math.max(1, Math.min(os.availableParallelism(), cgroupCpuQuota() ?? Infinity));
};
