/**
 * Rate and time left of a count that grows towards a total (OCR documents done), from timed samples: the
 * rate over everything since the first sample, so one quick or slow batch does not swing it.
 */

export interface RateEstimate {
  /** Units a second, or undefined before two samples span any time and count. */
  perSecond: number | undefined;
  /** Seconds until `total`, or undefined without a rate or a total. */
  etaSeconds: number | undefined;
}

export class RateMeter {
  private first: { atMs: number; done: number } | undefined;
  private last: { atMs: number; done: number } | undefined;

  public sample(atMs: number, done: number): void {
    this.first ??= { atMs, done };
    this.last = { atMs, done };
  }

  /** The first sample's time: where the count started (to report how long it took). */
  public get startedAtMs(): number | undefined {
    return this.first?.atMs;
  }

  public estimate(total: number | undefined): RateEstimate {
    const { first, last } = this;
    if (first === undefined || last === undefined || last.atMs <= first.atMs || last.done <= first.done) {
      return { perSecond: undefined, etaSeconds: undefined };
    }
    const perSecond = ((last.done - first.done) * 1000) / (last.atMs - first.atMs);
    return { perSecond, etaSeconds: total === undefined ? undefined : Math.max(0, total - last.done) / perSecond };
  }
}

/** `42 s`, `3 min 05 s`, `2 h 07 min`. */
export const formatDuration = (seconds: number): string => {
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
};
