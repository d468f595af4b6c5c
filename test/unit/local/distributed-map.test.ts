/** A Distributed Map on the local runtime: translated to a reader state + inline Map (local/distributed-map.ts). */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inlineDistributedMaps, LOCAL_ITEMS_CONTEXT_KEY } from '../../../local/distributed-map';
import { historyEventCount, prepareStateMachine, runExecution } from '../../../local/stepfunctions';
import { putJson } from '../../../src/aws/s3-objects';
import { destroyAwsClients, type AwsClients } from '../../../src/aws/clients';
import { deploymentSettingsSchema } from '../../../src/contracts/settings';
import { localAwsClients } from '../../../local/clients';
import { localHandlerDeps, type LocalHandlerDeps } from '../../../local/handler-deps';
import { localObservability } from '../../../local/observability';
import { loadServerlessProject } from '../../../local/serverless-project';
import { localSettingsEnvironment } from '../../../local/services';
import { startLocalS3, type LocalS3 } from './helpers';

const BUCKET = 'distributed-map-test';
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
/** Nothing listens there: these tests reach S3 only. */
const UNUSED = 'http://127.0.0.1:9';
let s3: LocalS3;
let clients: AwsClients;
let deps: LocalHandlerDeps;

beforeAll(async () => {
  s3 = await startLocalS3(BUCKET);
  clients = localAwsClients({
    s3: s3.endpoint,
    dynamodb: UNUSED,
    textract: UNUSED,
    sagemaker: UNUSED,
    ecr: UNUSED,
    serviceQuotas: UNUSED,
    eventbridge: UNUSED,
  });
  const settings = deploymentSettingsSchema.parse(localSettingsEnvironment(loadServerlessProject(ROOT).stageConfig('local')));
  deps = localHandlerDeps(clients, settings, localObservability());
});

afterAll(async () => {
  destroyAwsClients(clients);
  await s3.close();
});

type Definition = { StartAt: string; States: Record<string, Record<string, unknown>> };

/** Plan -> Fan (Distributed Map over s3://<bucket>/<$.itemsKey>) -> Done; Fan's catcher goes to Failed. */
const definition = (mapFields: Record<string, unknown> = {}): Definition => ({
  StartAt: 'Plan',
  States: {
    Plan: { Type: 'Pass', Next: 'Fan' },
    Fan: {
      Type: 'Map',
      ItemReader: {
        Resource: 'arn:aws:states:::s3:getObject',
        ReaderConfig: { InputType: 'JSON' },
        Parameters: { 'Bucket.$': '$.bucket', 'Key.$': '$.itemsKey' },
      },
      MaxConcurrencyPath: '$.concurrency',
      ToleratedFailurePercentage: 0,
      ItemSelector: { 'n.$': '$$.Map.Item.Value.n', 'runId.$': '$.runId' },
      ItemProcessor: {
        ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
        StartAt: 'Work',
        States: {
          Work: { Type: 'Task', Resource: 'arn:aws:states:::local:work', ResultPath: '$.worked', Next: 'Finish' },
          Finish: { Type: 'Pass', OutputPath: null, End: true },
        },
      },
      ResultWriter: { Resource: 'arn:aws:states:::s3:putObject', Parameters: { 'Bucket.$': '$.bucket', Prefix: 'results' } },
      ResultPath: null,
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Failed' }],
      Next: 'Done',
      ...mapFields,
    },
    Failed: { Type: 'Pass', End: true },
    Done: { Type: 'Succeed' },
  },
});

describe('inlineDistributedMaps', () => {
  it('puts a reader state before the Map and runs the Map inline over the items it reads', () => {
    // Prepare
    const translated = definition();

    // Act
    const maps = inlineDistributedMaps(translated);

    // Assess
    expect(maps).toEqual([{ mapState: 'Fan', readerState: 'FanItemReader', childStates: ['Work', 'Finish'], maxItems: undefined }]);
    expect(translated.States['Plan']?.['Next']).toBe('FanItemReader');
    expect(translated.States['FanItemReader']).toMatchObject({
      Type: 'Task',
      Parameters: { 'Bucket.$': '$.bucket', 'Key.$': '$.itemsKey' },
      ResultPath: null,
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Failed' }],
      Next: 'Fan',
    });
    const fan = translated.States['Fan'] ?? {};
    expect(fan['ItemsPath']).toBe(`$$.${LOCAL_ITEMS_CONTEXT_KEY}.Fan`);
    expect(fan['ItemProcessor']).toMatchObject({ ProcessorConfig: { Mode: 'INLINE' } });
    for (const field of ['ItemReader', 'ResultWriter', 'ToleratedFailurePercentage']) expect(fan, field).not.toHaveProperty(field);
  });

  it.each([
    ['ItemBatcher', { ItemBatcher: { MaxItemsPerBatch: 10 } }, /ItemBatcher/],
    ['a tolerated failure share', { ToleratedFailurePercentage: 5 }, /ToleratedFailurePercentage 0/],
    ['a tolerated failure count', { ToleratedFailureCount: 1 }, /ToleratedFailurePercentage 0/],
    [
      'a CSV reader',
      { ItemReader: { Resource: 'arn:aws:states:::s3:getObject', ReaderConfig: { InputType: 'CSV' }, Parameters: {} } },
      /JSON array/,
    ],
    ['ResultWriter results in the state', { ResultPath: '$.results' }, /ResultPath null/],
  ])('refuses what it would not run as AWS does: %s', (_what, fields, message) => {
    expect(() => inlineDistributedMaps(definition(fields))).toThrow(message);
  });
});

describe('a Distributed Map on the local runtime', () => {
  const run = async (input: Parameters<typeof runExecution>[1], failOn?: number) => {
    const seen: unknown[] = [];
    const prepared = prepareStateMachine(definition(), [], deps, {
      localIntegration: () => (event) => {
        seen.push(event);
        const failing = (event as { n?: number } | null)?.n === failOn;
        return failing
          ? Promise.reject(Object.assign(new Error(`batch ${failOn} failed`), { name: 'BatchFailed' }))
          : Promise.resolve('ok');
      },
    });
    const outcome = await runExecution(prepared, input, { stateMachineName: 'distributed' });
    return { outcome, seen };
  };

  it('iterates over the JSON array in S3, never carrying it in the state, and counts each iteration as a child execution', async () => {
    // Prepare: 25 items in S3; the state holds only their key.
    const items = Array.from({ length: 25 }, (_, n) => ({ n, padding: 'x'.repeat(200) }));
    await putJson(s3.client, { bucket: BUCKET, key: 'plan/items.json' }, items);

    // Act
    const { outcome, seen } = await run({ bucket: BUCKET, itemsKey: 'plan/items.json', concurrency: 4, runId: 'r1' });

    // Assess: one iteration per item, with the ItemSelector applied.
    expect(outcome.status, outcome.cause).toBe('SUCCEEDED');
    expect(seen).toHaveLength(25);
    expect(seen).toEqual(expect.arrayContaining(items.map(({ n }) => ({ n, runId: 'r1' }))));
    // No state output carries the items.
    const outputs = outcome.events.filter((event) => event.type === 'StateExited').map((event) => JSON.stringify(event.output ?? null));
    expect(outputs.filter((output) => output.includes('padding'))).toEqual([]);
    // The parent's history: Started; Plan 2; Fan entered + MapRunStarted + MapRunSucceeded + exited (4); Done 2; Succeeded.
    expect(outcome.historyEvents).toBe(1 + 2 + 4 + 2 + 1);
    // Each child: Started; Work 5 (entered, scheduled, started, succeeded, exited); Finish 2; Succeeded.
    expect(outcome.childHistoryEvents).toEqual(Array.from({ length: 25 }, () => 1 + 5 + 2 + 1));
    // All of it is what an inline Map would have put in the one history.
    expect(historyEventCount(outcome.events) - 5).toBe(outcome.historyEvents + 25 * 9);
  });

  it("fails the Map on one failed iteration (no tolerated failures), into the Map's catcher", async () => {
    // Prepare
    await putJson(
      s3.client,
      { bucket: BUCKET, key: 'plan/five.json' },
      Array.from({ length: 5 }, (_, n) => ({ n })),
    );

    // Act
    const { outcome } = await run({ bucket: BUCKET, itemsKey: 'plan/five.json', concurrency: 1, runId: 'r3' }, 2);

    // Assess: the failed item's error reaches the catcher; the run goes to its failure path, not on to Done.
    expect(outcome.status).toBe('SUCCEEDED');
    expect(outcome.output).toMatchObject({ error: { Error: 'BatchFailed' } });
    expect(outcome.events.some((event) => event.type === 'StateEntered' && event.stateName === 'Failed')).toBe(true);
    expect(outcome.events.some((event) => event.type === 'StateEntered' && event.stateName === 'Done')).toBe(false);
  });

  it("fails the Map with States.ItemReaderFailed where the item object is missing, into the Map's catcher", async () => {
    // Act
    const { outcome, seen } = await run({ bucket: BUCKET, itemsKey: 'plan/absent.json', concurrency: 4, runId: 'r2' });

    // Assess
    expect(outcome.status).toBe('SUCCEEDED');
    expect(seen).toEqual([]);
    expect(outcome.output).toMatchObject({ error: { Error: 'States.ItemReaderFailed' } });
    expect(JSON.stringify(outcome.output)).toContain('plan/absent.json');
  });
});
