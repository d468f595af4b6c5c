/**
 * A fixed-size pool of long-lived workers with a FIFO queue, where a job that fails or runs past its time
 * takes its worker with it: the worker is destroyed and a fresh one is started for the next job, so one bad
 * request can never leave a broken worker behind for the ones after it.
 *
 * Written here because the libraries at hand do not do that part: tesseract.js's `createScheduler` queues
 * jobs over workers but has no way to time a job out or to replace a worker, and `generic-pool` retries a
 * failing `create` forever without failing the requests that wait for it.
 */

export class PoolJobTimeoutError extends Error {
  public override readonly name = 'PoolJobTimeoutError' as const;
}

export class PoolClosedError extends Error {
  public override readonly name = 'PoolClosedError' as const;
}

export interface WorkerPoolOptions<W> {
  /** How many workers at most (each runs one job at a time). */
  size: number;
  create: () => Promise<W>;
  destroy: (worker: W) => Promise<void>;
  /** A job still running after this long fails with PoolJobTimeoutError and its worker is destroyed. */
  jobTimeoutMs: number;
}

interface Waiter<W> {
  resolve: (worker: W) => void;
  reject: (error: unknown) => void;
}

export class WorkerPool<W> {
  private readonly idle: W[] = [];
  private readonly waiters: Waiter<W>[] = [];
  private readonly inFlight = new Set<Promise<unknown>>();
  /** Workers started or starting, idle or busy. */
  private live = 0;
  private closed = false;

  public constructor(private readonly options: WorkerPoolOptions<W>) {
    if (!Number.isInteger(options.size) || options.size < 1) throw new RangeError(`pool size must be >= 1, got ${options.size}`);
  }

  public get size(): number {
    return this.options.size;
  }

  /** Workers alive right now (for tests and diagnostics). */
  public get liveWorkers(): number {
    return this.live;
  }

  /** Run `job` on a free worker (waiting for one if all are busy). */
  public run<T>(job: (worker: W) => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new PoolClosedError('the worker pool is closed'));
    const task = this.runOnWorker(job);
    this.inFlight.add(task);
    const untrack = (): void => {
      this.inFlight.delete(task);
    };
    task.then(untrack, untrack);
    return task;
  }

  /** Let queued and running jobs finish, then destroy every worker. */
  public async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.inFlight]);
    const workers = this.idle.splice(0);
    this.live -= workers.length;
    await Promise.allSettled(workers.map((w) => this.options.destroy(w)));
  }

  private async runOnWorker<T>(job: (worker: W) => Promise<T>): Promise<T> {
    const worker = await this.acquire();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new PoolJobTimeoutError(`the job did not finish within ${this.options.jobTimeoutMs} ms`)),
        this.options.jobTimeoutMs,
      );
    });
    try {
      const result = await Promise.race([job(worker), timeout]);
      this.release(worker);
      return result;
    } catch (error) {
      this.discard(worker);
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  private acquire(): Promise<W> {
    const worker = this.idle.pop();
    if (worker !== undefined) return Promise.resolve(worker);
    if (this.live < this.options.size) return this.start();
    return new Promise<W>((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** Start one worker (the slot is counted while it starts). */
  private async start(): Promise<W> {
    this.live += 1;
    try {
      return await this.options.create();
    } catch (error) {
      this.live -= 1;
      throw error;
    }
  }

  private release(worker: W): void {
    const next = this.waiters.shift();
    if (next !== undefined) next.resolve(worker);
    else this.idle.push(worker);
  }

  /** Destroy a worker whose job failed; its slot goes to the next waiting job with a fresh worker. */
  private discard(worker: W): void {
    this.live -= 1;
    this.options.destroy(worker).catch(() => undefined);
    this.serveWaiters();
  }

  /** Start workers for waiting jobs while there are free slots; a job whose worker fails to start fails. */
  private serveWaiters(): void {
    while (this.waiters.length > 0 && this.live < this.options.size) {
      const next = this.waiters.shift() as Waiter<W>;
      this.start().then(next.resolve, (error: unknown) => {
        next.reject(error);
        this.serveWaiters();
      });
    }
  }
}
