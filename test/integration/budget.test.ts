/**
 * The budget stop on the local runtime: the real ASL and handlers, the local SageMaker running a fake
 * trainer on a job clock 20,000x the real one (1 real second = 5.6 job hours = $7.82 on an on-demand
 * ml.g5.xlarge). The run enters the poll loop the way a continued execution does (local/rehearsal.ts),
 * with a budget and the Textract pages its dataset billed.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DescribeTrainingJobCommand } from '@aws-sdk/client-sagemaker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { costLedgerSchema } from '../../src/contracts/cost-ledger';
import { strictRunRecordSchema } from '../../src/contracts/run-record';
import { DEFAULT_PRICE_TABLE } from '../../src/contracts/prices';
import type { LocalPipeline } from '../../local/pipeline';
import { createRehearsalRun, pollLoopInput, startRehearsalPipeline } from '../../local/rehearsal';

const root = path.resolve(import.meta.dirname, '../..');
const TIME_SCALE = 20_000;
const XLARGE_USD_PER_HOUR = DEFAULT_PRICE_TABLE.trainingUsdPerHour['ml.g5.xlarge'] ?? NaN;

let pipeline: LocalPipeline;
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'doctrain-budget-'));
  // One fake epoch (0.6 real s) is 12,000 job s: no checkpoint warnings in the way.
  pipeline = await startRehearsalPipeline(root, dataDir, TIME_SCALE, { DOCTRAIN_CHECKPOINT_INTERVAL_SECONDS: '20000' });
}, 60_000);

afterAll(async () => {
  await pipeline?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('budget stop on the local runtime', () => {
  it('stops the training job when the projected cost passes the budget; the run ends BUDGET_EXCEEDED with its ledger', async () => {
    // Prepare: an on-demand job of 100 epochs x 0.6 real s (about 93 job hours, $131); a $10 budget; 626 pages billed ($0.94).
    const budgetUsd = 10;
    const textractPagesBilled = 626;
    const run = await createRehearsalRun(pipeline, 'budget-stop', { epochs: 100, epochSeconds: 0.6 });

    // Act
    const outcome = await pipeline.execute(pollLoopInput(run, 10, { budgetUsd, textractPagesBilled }), { executionName: run.runId });

    // Assess: the loop stopped the job through StopRequestedJob and the execution failed as BudgetExceeded.
    expect(outcome, `${outcome.error}: ${outcome.cause}`).toMatchObject({ status: 'FAILED', error: 'BudgetExceeded' });
    expect(outcome.events.some((e) => e.type === 'StateEntered' && e.stateName === 'StopRequestedJob')).toBe(true);
    const job = await pipeline.services.clients.sagemaker.send(new DescribeTrainingJobCommand({ TrainingJobName: run.jobName }));
    expect(job.TrainingJobStatus).toBe('Stopped');

    // Assess: the run record says BUDGET_EXCEEDED, with an event explaining the stop.
    const { record, events } = await pipeline.runRecord(run.runId);
    expect(record?.status).toBe('BUDGET_EXCEEDED');
    expect(strictRunRecordSchema.safeParse(record).error).toBeUndefined();
    expect(record?.failure).toMatchObject({ error: 'BudgetExceeded', message: expect.stringContaining('budget of $10.00') as string });
    const stopEvents = events.filter((event) => event.progressKey?.endsWith('-budget-exceeded') === true);
    expect(stopEvents).toHaveLength(1);
    const stopEvent = stopEvents[0];
    expect(record?.budgetStop).toMatchObject({ budgetUsd });
    const decision = /^projected cost \$(\d+\.\d{4}) \(spent \$(\d+\.\d{4})\) passes the budget of \$10\.00/.exec(
      String(stopEvent?.detail?.['message']),
    );
    expect(decision, String(stopEvent?.detail?.['message'])).not.toBeNull();
    // The rule: stopped at a poll whose projection passed the budget. (That the spend was still within it
    // holds where the wait between polls is the projection's horizon, as on AWS; here every Wait is 25 real
    // ms and a poll's own real time is hours of job time, so the spend at the decision is not checked.)
    expect(Number(decision?.[1])).toBeGreaterThan(budgetUsd);
    expect(Number(decision?.[1])).toBeGreaterThanOrEqual(Number(decision?.[2]));
    // Assess: the ending was notified, with the run's failure and cost.
    const notified = pipeline.services.events().filter((event) => event.detail['runId'] === run.runId);
    expect(notified).toMatchObject([
      {
        source: 'doctrain',
        'detail-type': 'Budget Exceeded',
        detail: {
          status: 'BUDGET_EXCEEDED',
          reason: expect.stringContaining('budget of $10.00') as string,
          cost: { totalUsd: record?.cost?.totalUsd, textractPages: textractPagesBilled },
        },
      },
    ]);

    // Assess: the final ledger bills the job's reported billable time, the pages and the polls, and its total is their sum.
    const ledger = costLedgerSchema.parse(record?.cost);
    expect(ledger).toMatchObject({
      stage: 'final',
      budgetUsd,
      textract: { pages: textractPagesBilled, usd: expect.closeTo(0.939, 6) as number },
    });
    expect(ledger.training).toHaveLength(1);
    const line = ledger.training[0];
    expect(line).toMatchObject({ jobName: run.jobName, billable: 'reported', billableSeconds: job.BillableTimeInSeconds, spot: false });
    expect(line?.usd).toBeCloseTo(((job.BillableTimeInSeconds ?? NaN) / 3600) * XLARGE_USD_PER_HOUR, 6);
    expect(ledger.orchestration.polls).toBeGreaterThanOrEqual(2);
    expect(ledger.totalUsd).toBeCloseTo(ledger.trainingUsd + ledger.textract.usd + ledger.orchestration.usd, 6);
    // The job was stopped long before its end: it billed at least the spend at the decision, far from the whole job.
    expect(ledger.totalUsd).toBeGreaterThanOrEqual(Number(decision?.[2]));
    expect(ledger.totalUsd).toBeLessThan((100 * 0.6 * TIME_SCALE * XLARGE_USD_PER_HOUR) / 3600 / 2);
  }, 120_000);
});
