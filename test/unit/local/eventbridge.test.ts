/** The local EventBridge through the real EventBridge client: what it accepts, captures and refuses, as EventBridge does. */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localClientConfig } from '../../../local/clients';
import { startLocalEventBridge, type LocalEventBridge } from '../../../local/eventbridge';
import { capturedEventsFile, readCapturedEvents } from '../../../local/eventbridge/captured-events';

let dataDir: string;
let eventBridge: LocalEventBridge;
let client: EventBridgeClient;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'doctrain-events-'));
  eventBridge = await startLocalEventBridge({ account: '123456789012', eventsFile: capturedEventsFile(dataDir) });
  client = new EventBridgeClient({ ...localClientConfig(eventBridge.endpoint), maxAttempts: 1 });
});

afterAll(async () => {
  client?.destroy();
  await eventBridge?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const put = (Entries: PutEventsRequestEntry[]) => client.send(new PutEventsCommand({ Entries }));
const entry = (detailType: string, detail: unknown): PutEventsRequestEntry => ({
  Source: 'doctrain',
  DetailType: detailType,
  Detail: JSON.stringify(detail),
});

describe('local EventBridge', () => {
  it('captures accepted events in memory and in the events file, in the envelope EventBridge delivers', async () => {
    const time = new Date('2025-06-01T12:00:00.000Z');
    const result = await put([
      entry('Run Completed', { runId: 'r-1', valF1: 0.91 }),
      { ...entry('Model Promoted', { runId: 'r-1' }), EventBusName: 'doctrain-dev', Resources: ['arn:aws:s3:::b/m'], Time: time },
    ]);
    expect(result.FailedEntryCount).toBe(0);
    expect(result.Entries).toHaveLength(2);
    const ids = (result.Entries ?? []).map((e) => e.EventId);
    expect(ids.every((id) => typeof id === 'string' && id.length > 0)).toBe(true);

    const expected = [
      {
        version: '0',
        id: ids[0],
        'detail-type': 'Run Completed',
        source: 'doctrain',
        account: '123456789012',
        region: 'us-east-1',
        resources: [],
        detail: { runId: 'r-1', valF1: 0.91 },
        eventBusName: 'default',
      },
      {
        id: ids[1],
        'detail-type': 'Model Promoted',
        time: '2025-06-01T12:00:00Z',
        resources: ['arn:aws:s3:::b/m'],
        detail: { runId: 'r-1' },
        eventBusName: 'doctrain-dev',
      },
    ];
    expect(eventBridge.events()).toMatchObject(expected);
    expect(eventBridge.events()[0]?.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(await readCapturedEvents(dataDir)).toEqual(eventBridge.events());
  });

  it('fails each bad entry with its error code and message, and counts them in FailedEntryCount', async () => {
    const before = eventBridge.events().length;
    const result = await put([
      entry('Run Failed', { runId: 'r-2' }),
      { Source: 'doctrain', DetailType: 'Run Failed', Detail: 'not json' },
      { Source: 'doctrain', DetailType: 'Run Failed', Detail: '["an array"]' },
      { Source: 'doctrain', Detail: '{}' },
      { DetailType: 'Run Failed', Detail: '{}' },
      { Source: 'doctrain', DetailType: 'Run Failed' },
      entry('Run Skipped', { runId: 'r-3' }),
    ]);
    expect(result.FailedEntryCount).toBe(5);
    expect(result.Entries?.map((e) => e.ErrorCode ?? 'ok')).toEqual([
      'ok',
      'MalformedDetail',
      'MalformedDetail',
      'InvalidArgument',
      'InvalidArgument',
      'InvalidArgument',
      'ok',
    ]);
    expect(result.Entries?.[1]?.ErrorMessage).toBe('Detail is malformed.');
    expect(result.Entries?.[3]?.ErrorMessage).toBe('Parameter DetailType is not valid. Reason: DetailType is a required argument.');
    expect(result.Entries?.[4]?.ErrorMessage).toBe('Parameter Source is not valid. Reason: Source is a required argument.');
    expect(result.Entries?.[5]?.ErrorMessage).toBe('Parameter Detail is not valid. Reason: Detail is a required argument.');
    expect(
      eventBridge
        .events()
        .slice(before)
        .map((e) => e['detail-type']),
    ).toEqual(['Run Failed', 'Run Skipped']);
    expect(await readCapturedEvents(dataDir)).toHaveLength(before + 2);
  });

  it('refuses a request that breaks the service model whole, with a ValidationException', async () => {
    const before = eventBridge.events().length;
    await expect(put(Array.from({ length: 11 }, (_, i) => entry('Run Completed', { i })))).rejects.toMatchObject({
      name: 'ValidationException',
      message:
        "1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length less than or equal to 10",
    });
    await expect(put([])).rejects.toMatchObject({ name: 'ValidationException', message: expect.stringContaining("at 'entries'") });
    await expect(put([{ ...entry('Run Completed', {}), EventBusName: 'no spaces' }])).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringContaining("Value 'no spaces' at 'entries.1.member.eventBusName' failed to satisfy constraint"),
    });
    await expect(put([entry('Run Completed', { blob: 'x'.repeat(1024 * 1024) })])).rejects.toMatchObject({
      name: 'ValidationException',
      message: 'Total size of the entries in the request is over the limit.',
    });
    expect(eventBridge.events()).toHaveLength(before);
  });

  it('reads no events from a data dir whose stage emitted none', async () => {
    expect(await readCapturedEvents(path.join(dataDir, 'nothing-here'))).toEqual([]);
  });
});
