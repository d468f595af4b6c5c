/**
 * A run's state timeline from its append-only status events (docs/CONTRACTS.md section 5): one span per
 * status (from its first event to the next status' first event) and each event's own duration (until the
 * next event). Events are ordered by `at`, as the contract says readers must.
 */
import type { RunEvent } from '../status/run-store';

export interface TimelineSpan {
  status: string;
  start: string;
  end: string;
  seconds: number;
}

export interface TimelineEvent extends RunEvent {
  /** Seconds until the next event; 0 for the last one. */
  seconds: number;
}

const secondsBetween = (start: string, end: string): number => Math.max(0, (Date.parse(end) - Date.parse(start)) / 1000);

export const orderedEvents = (events: readonly RunEvent[]): TimelineEvent[] => {
  const sorted = [...events].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  return sorted.map((event, index) => ({ ...event, seconds: secondsBetween(event.at, sorted[index + 1]?.at ?? event.at) }));
};

/** One span per status in the order the run went through them; the last (terminal) one ends at its own event. */
export const statusSpans = (events: readonly RunEvent[]): TimelineSpan[] => {
  const firsts: RunEvent[] = [];
  for (const event of orderedEvents(events)) if (firsts.at(-1)?.status !== event.status) firsts.push(event);
  return firsts.map((event, index) => {
    const end = firsts[index + 1]?.at ?? event.at;
    return { status: event.status, start: event.at, end, seconds: secondsBetween(event.at, end) };
  });
};
