/**
 * A real garbage collection for memory measurements, when the flag can still be set at run time (it can
 * in Node 20); otherwise a no-op. Shared by the benchmarks.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export const collectGarbage = ((): (() => void) => {
  try {
    setFlagsFromString('--expose-gc');
    const gc: unknown = runInNewContext('gc');
    if (typeof gc === 'function') return gc as () => void;
  } catch {
    // fall through: no GC available
  }
  return () => undefined;
})();
