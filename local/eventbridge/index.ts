/**
 * Local Amazon EventBridge, as much as the pipeline's notifications use: PutEvents on the AWS JSON 1.1
 * protocol (`X-Amz-Target: AWSEvents.PutEvents`), so an unmodified `EventBridgeClient({ endpoint })` (or
 * `AWS_ENDPOINT_URL_EVENTBRIDGE`) works against it. Requests are judged as EventBridge judges them
 * (./put-events.ts). Every accepted event is captured (./captured-events.ts): in memory (`events()`) and,
 * given `eventsFile`, appended to it as a JSON line. Any bus name is taken: rules and targets are not
 * emulated, nothing is delivered.
 */
import { randomUUID } from 'node:crypto';
import { startJsonProtocolServer, type LocalServer } from '../http/json-protocol-server';
import { appendCapturedEvents, type CapturedEvent } from './captured-events';
import { isFailed, judgePutEvents, type AcceptedEntry } from './put-events';

export interface LocalEventBridgeOptions {
  /** 0 or absent: a free port. */
  port?: number;
  /** The region and account of the events' envelope; default us-east-1 and 000000000000. */
  region?: string;
  account?: string;
  /** Where accepted events are appended, one JSON line each (capturedEventsFile); absent: memory only. */
  eventsFile?: string;
}

export interface LocalEventBridge extends LocalServer {
  /** The events accepted so far, oldest first. */
  events(): CapturedEvent[];
}

/** EventBridge's `time`: ISO 8601 to the second. */
const eventTime = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

export const startLocalEventBridge = async (options: LocalEventBridgeOptions = {}): Promise<LocalEventBridge> => {
  const region = options.region ?? 'us-east-1';
  const account = options.account ?? '000000000000';
  const captured: CapturedEvent[] = [];
  const capture = (entry: AcceptedEntry, now: number): CapturedEvent => ({
    version: '0',
    id: randomUUID(),
    'detail-type': entry.detailType,
    source: entry.source,
    account,
    time: eventTime(entry.time ?? now),
    region,
    resources: entry.resources,
    detail: entry.detail,
    eventBusName: entry.eventBusName,
  });
  // Appends one request at a time, in the order the requests were answered.
  let appending: Promise<void> = Promise.resolve();

  const server = await startJsonProtocolServer({
    targetPrefix: 'AWSEvents',
    ...(options.port === undefined ? {} : { port: options.port }),
    handlers: {
      PutEvents: async (input) => {
        const now = Date.now();
        const verdicts = judgePutEvents(input).map((verdict) => (isFailed(verdict) ? verdict : capture(verdict, now)));
        const accepted = verdicts.filter((verdict): verdict is CapturedEvent => !isFailed(verdict));
        captured.push(...accepted);
        if (options.eventsFile !== undefined) {
          const file = options.eventsFile;
          const append = (): Promise<void> => appendCapturedEvents(file, accepted);
          appending = appending.then(append, append);
          await appending;
        }
        return {
          FailedEntryCount: verdicts.length - accepted.length,
          Entries: verdicts.map((verdict) => (isFailed(verdict) ? verdict : { EventId: verdict.id })),
        };
      },
    },
  });
  return { ...server, events: () => [...captured] };
};
