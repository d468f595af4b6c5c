/**
 * The events the local EventBridge accepted, as EventBridge delivers them to a rule's target (the event
 * envelope: version, id, detail-type, source, account, time, region, resources, detail) plus the bus
 * they were put on. The local EventBridge keeps them in memory and appends each, one JSON line, to
 * `<dataDir>/eventbridge/events.jsonl`, so another process (the `doctrain` CLI) can read what a local
 * stage emitted: readCapturedEvents.
 */
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { parseOrThrow } from '../../src/validation';

export const capturedEventSchema = z.object({
  version: z.literal('0'),
  id: z.string(),
  'detail-type': z.string(),
  source: z.string(),
  account: z.string(),
  /** ISO 8601 to the second, as EventBridge writes it: the entry's Time, else when it was put. */
  time: z.string(),
  region: z.string(),
  resources: z.array(z.string()),
  /** The entry's Detail, parsed (always a JSON object). */
  detail: z.record(z.string(), z.unknown()),
  /** The bus's name (`default` when the entry named none); not part of EventBridge's envelope. */
  eventBusName: z.string(),
});
export type CapturedEvent = z.output<typeof capturedEventSchema>;

/** Where a local stage with this data dir writes its events. */
export const capturedEventsFile = (dataDir: string): string => path.join(dataDir, 'eventbridge', 'events.jsonl');

/** Appends events to the file, one JSON line each. */
export const appendCapturedEvents = async (file: string, events: readonly CapturedEvent[]): Promise<void> => {
  if (events.length === 0) return;
  await mkdir(path.dirname(file), { recursive: true });
  await appendFile(file, events.map((event) => `${JSON.stringify(event)}\n`).join(''));
};

/** Every event a local stage with this data dir has emitted, oldest first (none when it has emitted none). */
export const readCapturedEvents = async (dataDir: string): Promise<CapturedEvent[]> => {
  const file = capturedEventsFile(dataDir);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line, index) => parseOrThrow(capturedEventSchema, JSON.parse(line), `${file} line ${index + 1}`));
};
