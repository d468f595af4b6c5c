/**
 * Free ports for a test's `doctrain local up`: a base whose `count` consecutive ports are all free, drawn
 * from 20000-32000, below Linux's ephemeral range (32768-60999), where the other tests' port-0 servers and
 * outgoing connections never land, so nothing can take one between the check and its use.
 */
import { assertPortsFree, PortInUseError } from '../../local/port-in-use';

export const freePortBase = async (count: number): Promise<number> => {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const base = 20000 + Math.floor(Math.random() * (12000 - count));
    try {
      await assertPortsFree(Array.from({ length: count }, (_, i) => base + i));
      return base;
    } catch (error) {
      if (!(error instanceof PortInUseError)) throw error;
    }
  }
  throw new Error(`no ${count} free consecutive ports found in 20000-32000`);
};
