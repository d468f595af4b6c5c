/**
 * Throttling on the local runtime: the real state machine (cut after BuildDataset: training is not what is
 * tested here), the real handlers, and the local Textract throttling a seeded 30% of its requests. Nothing
 * may be lost: the throttled run builds the very dataset (same fingerprint, same documents, nothing
 * quarantined) as an unthrottled run of the same documents.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DeleteObjectsCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PIPELINE_STATE_MACHINE, startLocalPipeline, uploadSyntheticReceipts, type LocalPipeline } from '../../local/pipeline';
import { prepareStateMachine, runExecution, type ExecutionOutcome, type PreparedStateMachine } from '../../local/stepfunctions';
import { getJson, listKeys } from '../../src/aws/s3-objects';
import { datasetManifestSchema } from '../../src/contracts/objects';

const root = path.resolve(import.meta.dirname, '../..');
const DOCUMENTS = 8;

let pipeline: LocalPipeline;
let dataDir: string;
let untilDataset: PreparedStateMachine;

interface DatasetOutput {
  dataset: { fingerprint: string; counts: { documents: number; quarantined: number }; manifestS3Uri: string };
}

type StateNode = Record<string, unknown>;

/** Top-level states reachable from StartAt (Next, Default, Choices, Catch). */
const reachable = (definition: { StartAt: string; States: Record<string, StateNode> }): Set<string> => {
  const seen = new Set<string>();
  const visit = (name: unknown): void => {
    if (typeof name !== 'string' || seen.has(name)) return;
    seen.add(name);
    const state = definition.States[name] ?? {};
    visit(state['Next']);
    visit(state['Default']);
    for (const edge of [...((state['Choices'] as StateNode[] | undefined) ?? []), ...((state['Catch'] as StateNode[] | undefined) ?? [])]) {
      visit(edge['Next']);
    }
  };
  visit(definition.StartAt);
  return seen;
};

/** The pipeline's own definition, ending at BuildDataset (every state up to it unchanged). */
const prepareUntilDataset = (): PreparedStateMachine => {
  const definition = structuredClone(pipeline.project.stateMachines[PIPELINE_STATE_MACHINE]) as {
    StartAt: string;
    States: Record<string, StateNode>;
  };
  const buildDataset = definition.States['BuildDataset'];
  if (buildDataset === undefined) throw new Error('the pipeline has no BuildDataset state');
  delete buildDataset['Next'];
  buildDataset['End'] = true;
  const keep = reachable(definition);
  for (const name of Object.keys(definition.States)) if (!keep.has(name)) delete definition.States[name];
  return prepareStateMachine(definition, pipeline.project.functions, pipeline.handlerDeps);
};

const run = (runId: string): Promise<ExecutionOutcome> =>
  runExecution(
    untilDataset,
    { runId, dataset: { batchSize: 2 } },
    {
      stateMachineName: 'doctrain-local-train-pipeline',
      executionName: runId,
      retryTimeScale: 0.01,
    },
  );

/** Empties the OCR cache, so the next run sends every document to Textract again. */
const clearOcrCache = async (): Promise<void> => {
  const keys = await listKeys(pipeline.services.clients.s3, pipeline.services.bucket, 'ocr-cache/');
  if (keys.length === 0) return;
  await pipeline.services.clients.s3.send(
    new DeleteObjectsCommand({ Bucket: pipeline.services.bucket, Delete: { Objects: keys.map((Key) => ({ Key })) } }),
  );
};

const datasetOf = (outcome: ExecutionOutcome): DatasetOutput['dataset'] => {
  expect(outcome, `${outcome.error}: ${outcome.cause}`).toMatchObject({ status: 'SUCCEEDED' });
  return (outcome.output as unknown as DatasetOutput).dataset;
};

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'doctrain-throttle-'));
  pipeline = await startLocalPipeline({ root, dataDir, stage: 'local', retryTimeScale: 0.01 });
  untilDataset = prepareUntilDataset();
  await uploadSyntheticReceipts(pipeline.services.clients.s3, pipeline.services.bucket, { count: DOCUMENTS, seed: 606 });
});

afterAll(async () => {
  await pipeline?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('Textract throttling on the local pipeline', () => {
  it('loses no document when 30% of Textract calls are throttled, and builds the same dataset', async () => {
    // Prepare: an unthrottled run gives the reference dataset.
    pipeline.services.setTextractFaults({});
    const reference = datasetOf(await run('throttle-none'));
    expect(reference.counts).toMatchObject({ documents: DOCUMENTS, quarantined: 0 });
    await clearOcrCache();
    const before = pipeline.services.textractStats();

    // Act: the same documents, every Textract request throttled with probability 0.3.
    pipeline.services.setTextractFaults({ throttleRate: 0.3, seed: 42 });
    const outcome = await run('throttle-30').finally(() => pipeline.services.setTextractFaults({}));

    // Assess: throttling really happened, at about the injected rate...
    const after = pipeline.services.textractStats();
    const requests = after.requests - before.requests;
    const throttled = after.throttled - before.throttled;
    expect(throttled).toBeGreaterThan(0);
    expect(requests).toBe(DOCUMENTS + throttled); // every throttled call was retried, every document OCR'd once
    // ...and the dataset is the reference one: same fingerprint, every document in, none quarantined.
    const dataset = datasetOf(outcome);
    expect(dataset.fingerprint).toBe(reference.fingerprint);
    expect(dataset.counts).toEqual(reference.counts);
    const bucket = pipeline.services.bucket;
    const manifest = datasetManifestSchema.parse(
      await getJson(pipeline.services.clients.s3, { bucket, key: `datasets/${dataset.fingerprint}/manifest.json` }),
    );
    expect(manifest.counts).toMatchObject({ documents: DOCUMENTS, quarantined: 0 });
    expect(await listKeys(pipeline.services.clients.s3, bucket, 'quarantine/throttle-30/')).toEqual([]);
  });

  it('retries a batch whose throttling outlasts the SDK retries: the ThrottlingError reaches the ASL Retry, unwrapped', async () => {
    // Prepare: every request throttled until the OCR Map has retried a batch once, then none.
    await clearOcrCache();
    pipeline.services.setTextractFaults({ throttleRate: 1 });
    const events: string[] = [];

    // Act
    const outcome = await runExecution(
      untilDataset,
      { runId: 'throttle-burst', dataset: { batchSize: 2 } },
      {
        stateMachineName: 'doctrain-local-train-pipeline',
        executionName: 'throttle-burst',
        retryTimeScale: 0.01,
        onEvent: (event) => {
          if (event.error !== undefined) events.push(event.error);
          // The first failed attempt of an OcrBatch ends the outage.
          if (event.error === 'ThrottlingError') pipeline.services.setTextractFaults({});
        },
      },
    ).finally(() => pipeline.services.setTextractFaults({}));

    // Assess
    expect(events).toContain('ThrottlingError');
    expect(events.filter((name) => name !== 'ThrottlingError')).toEqual([]);
    expect(datasetOf(outcome).counts).toMatchObject({ documents: DOCUMENTS, quarantined: 0 });
  });
});
