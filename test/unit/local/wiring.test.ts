/**
 * The local runtime's wiring: it builds every handler from its module's factory with its own clients and
 * settings, and neither reads nor writes this process's environment for it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBuildDatasetHandler } from '../../../functions/build-dataset/handler';
import { createCollectTextractJobsHandler } from '../../../functions/collect-textract-jobs/handler';
import { createFinalizeRunHandler } from '../../../functions/finalize-run/handler';
import { createOcrBatchHandler } from '../../../functions/ocr-batch/handler';
import { createPlanBatchesHandler } from '../../../functions/plan-batches/handler';
import { createPollTrainingHandler } from '../../../functions/poll-training/handler';
import { createPreflightHandler } from '../../../functions/preflight/handler';
import { createRecordStatusHandler } from '../../../functions/record-status/handler';
import { createStopEndedRunHandler } from '../../../functions/stop-ended-run/handler';
import { createTrainingAttemptHandler } from '../../../functions/training-attempt/handler';
import { createTuningJobHandler } from '../../../functions/tuning-job/handler';
import { createValidateInputHandler } from '../../../functions/validate-input/handler';
import { createCheckFingerprintHandler } from '../../../functions/check-fingerprint/handler';
import { createNotifyRunHandler } from '../../../functions/notify-run/handler';
import { createPromoteModelHandler } from '../../../functions/promote-model/handler';
import type { LocalHandlerDeps } from '../../../local/handler-deps';
import { startLocalPipeline, type LocalPipeline } from '../../../local/pipeline';
import { loadServerlessProject } from '../../../local/serverless-project';
import { readCapturedEvents } from '../../../local/services';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** Every factory takes what the local runtime builds handlers with (a type error here otherwise). */
const FACTORIES = {
  createBuildDatasetHandler,
  createCheckFingerprintHandler,
  createNotifyRunHandler,
  createPromoteModelHandler,
  createCollectTextractJobsHandler,
  createFinalizeRunHandler,
  createOcrBatchHandler,
  createPlanBatchesHandler,
  createPollTrainingHandler,
  createPreflightHandler,
  createRecordStatusHandler,
  createStopEndedRunHandler,
  createTrainingAttemptHandler,
  createTuningJobHandler,
  createValidateInputHandler,
} satisfies Record<string, (deps: LocalHandlerDeps) => unknown>;

let dataDir: string;
let pipeline: LocalPipeline;
const environmentBefore = { ...process.env };
const logLines: string[] = [];

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'doctrain-wiring-'));
  pipeline = await startLocalPipeline({
    root: ROOT,
    dataDir,
    stage: 'local',
    sagemaker: { runner: 'process' },
    logs: { logLevel: 'INFO', write: (line) => logLines.push(line) },
  });
}, 60_000);

afterAll(async () => {
  await pipeline?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('the local runtime', () => {
  it("finds each serverless.yml function's factory in its handler module", async () => {
    // Prepare
    const { functions } = loadServerlessProject(ROOT);
    // Act
    const exported = await Promise.all(
      functions.map(async (fn) => [
        fn.factoryName,
        typeof ((await import(pathToFileURL(fn.modulePath).href)) as Record<string, unknown>)[fn.factoryName],
      ]),
    );
    // Assess
    expect(Object.fromEntries(exported)).toEqual(Object.fromEntries(Object.keys(FACTORIES).map((name) => [name, 'function'])));
  });

  it('runs the state machine with the handlers built from their factories, leaving process.env as it found it', async () => {
    // Act: a prefix with no documents: ValidateInput, RecordPending (DynamoDB), Preflight (ECR, Service
    // Quotas), PlanBatches (S3) run, and the run ends FAILED, recorded by RecordFailed
    const outcome = await pipeline.execute({ documentsPrefix: 'nothing-here/' }, { executionName: 'wiring-empty' });
    const { record, events } = await pipeline.runRecord('wiring-empty');
    // Assess
    expect(outcome.status).toBe('FAILED');
    expect(events.map((event) => event.status)).toEqual(['PENDING', 'FAILED']);
    expect(record?.status).toBe('FAILED');
    expect({ ...process.env }).toEqual(environmentBefore);
    expect(process.env['AWS_ENDPOINT_URL_S3']).toBe(environmentBefore['AWS_ENDPOINT_URL_S3']);
  });

  it("shows the handlers' Powertools log lines readably, with the run keys", () => {
    // Assess
    const failed = logLines.find((line) => line.includes('PlanBatches failed'));
    expect(failed).toMatch(/^\d\d:\d\d:\d\d\.\d{3} ERROR doctrain-local-planBatches PlanBatches failed runId=wiring-empty error=/);
    expect(logLines).toContainEqual(
      expect.stringMatching(
        / INFO  doctrain-local-recordStatus RecordStatus finished runId=wiring-empty execution=wiring-empty durationMs=\d+$/,
      ),
    );
    // Pre-flight reached the local ECR and Service Quotas through the clients the local runtime built.
    expect(logLines).toContainEqual(expect.stringMatching(/ INFO  doctrain-local-preflight Preflight finished durationMs=\d+$/));
  });

  it('puts events on the local EventBridge with the clients it built; another process reads them from the data dir', async () => {
    // Prepare
    const { services } = pipeline;
    const detail = { runId: 'wiring-events' };
    // Act
    const result = await services.clients.eventBridge.send(
      new PutEventsCommand({ Entries: [{ Source: 'doctrain', DetailType: 'Run Skipped', Detail: JSON.stringify(detail) }] }),
    );
    // Assess
    expect(result.FailedEntryCount).toBe(0);
    expect(services.env['AWS_ENDPOINT_URL_EVENTBRIDGE']).toBe(services.endpoints.eventbridge);
    // (The earlier test's run put its own notification on the bus: this test reads its own event.)
    const own = services.events().filter((event) => event.detail['runId'] === detail.runId);
    expect(own).toMatchObject([{ source: 'doctrain', 'detail-type': 'Run Skipped', detail, eventBusName: 'default' }]);
    expect(await readCapturedEvents(dataDir)).toEqual(services.events());
  });
});
