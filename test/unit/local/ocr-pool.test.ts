import { describe, expect, it } from 'vitest';
import { PoolClosedError, PoolJobTimeoutError, WorkerPool } from '../../../local/textract/pool';

interface FakeWorker {
  id: number;
  destroyed: boolean;
}

const makePool = (size: number, jobTimeoutMs = 5_000) => {
  let created = 0;
  const all: FakeWorker[] = [];
  const pool = new WorkerPool<FakeWorker>({
    size,
    jobTimeoutMs,
    create: () => {
      created += 1;
      const worker = { id: created, destroyed: false };
      all.push(worker);
      return Promise.resolve(worker);
    },
    destroy: (worker) => {
      worker.destroyed = true;
      return Promise.resolve();
    },
  });
  return { pool, all, created: () => created };
};

const deferred = <T>() => {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
};

describe('WorkerPool', () => {
  it('runs at most `size` jobs at once, queues the rest in order and reuses workers', async () => {
    const { pool, created } = makePool(2);
    let running = 0;
    let peak = 0;
    const gates = Array.from({ length: 5 }, () => deferred<void>());
    const started: number[] = [];
    const jobs = gates.map((gate, i) =>
      pool.run(async (worker) => {
        started.push(i);
        running += 1;
        peak = Math.max(peak, running);
        await gate.promise;
        running -= 1;
        return `${i}@${worker.id}`;
      }),
    );
    await new Promise((r) => setTimeout(r, 10));
    expect(started).toEqual([0, 1]);
    for (const gate of gates) gate.resolve();
    const results = await Promise.all(jobs);
    expect(peak).toBe(2);
    expect(started).toEqual([0, 1, 2, 3, 4]);
    expect(results.map((r) => r.split('@')[0])).toEqual(['0', '1', '2', '3', '4']);
    expect(created()).toBe(2);
    await pool.close();
  });

  it('destroys the worker of a failed job and gives the next job a fresh one', async () => {
    const { pool, all } = makePool(1);
    await expect(pool.run(() => Promise.reject(new Error('wasm abort')))).rejects.toThrow('wasm abort');
    const second = await pool.run((worker) => Promise.resolve(worker.id));
    expect(all[0]?.destroyed).toBe(true);
    expect(second).toBe(2);
    expect(pool.liveWorkers).toBe(1);
    await pool.close();
    expect(all[1]?.destroyed).toBe(true);
    expect(pool.liveWorkers).toBe(0);
  });

  it('times out a hung job, replaces its worker and serves the queued job', async () => {
    const { pool, all } = makePool(1, 50);
    const hung = pool.run(() => new Promise<never>(() => undefined));
    const next = pool.run((worker) => Promise.resolve(worker.id));
    await expect(hung).rejects.toBeInstanceOf(PoolJobTimeoutError);
    await expect(next).resolves.toBe(2);
    expect(all[0]?.destroyed).toBe(true);
    await pool.close();
  });

  it('fails a waiting job whose worker cannot start, and still serves the ones after it', async () => {
    let attempts = 0;
    const pool = new WorkerPool<number>({
      size: 1,
      jobTimeoutMs: 1_000,
      create: () => {
        attempts += 1;
        return attempts === 2 ? Promise.reject(new Error('no traineddata')) : Promise.resolve(attempts);
      },
      destroy: () => Promise.resolve(),
    });
    const first = pool.run(() => Promise.reject(new Error('bad page')));
    const second = pool.run((w) => Promise.resolve(w));
    const third = pool.run((w) => Promise.resolve(w));
    await expect(first).rejects.toThrow('bad page');
    await expect(second).rejects.toThrow('no traineddata');
    await expect(third).resolves.toBe(3);
    await pool.close();
  });

  it('close() lets queued jobs finish, then refuses new ones', async () => {
    const { pool, all } = makePool(1);
    const gate = deferred<void>();
    const a = pool.run(async () => {
      await gate.promise;
      return 'a';
    });
    const b = pool.run(() => Promise.resolve('b'));
    const closing = pool.close();
    gate.resolve();
    await expect(Promise.all([a, b])).resolves.toEqual(['a', 'b']);
    await closing;
    expect(all.every((w) => w.destroyed)).toBe(true);
    await expect(pool.run(() => Promise.resolve('c'))).rejects.toBeInstanceOf(PoolClosedError);
  });
});
