/**
 * bench:polling — state transitions, history events and orchestration cost of the training poll loop:
 * the adaptive loop (Wait(SecondsPath) -> PollTraining -> Choice, waits from pollSeconds growing to
 * maxPollSeconds) against the loop it replaced at a fixed 30 s poll (Wait -> DescribeTrainingJob ->
 * RecordProgress -> Choice: 4 transitions, 14 history events and one Lambda call a poll).
 *
 *  1. measured: the adaptive loop runs on the local runtime (real ASL, handlers, local Step Functions
 *     service, local SageMaker with the fake trainer on a job clock 20,000x the real one) with a small
 *     history budget, so it continues as new a few times; from the executions' events it counts the
 *     transitions and history events per poll and per hand-over, and the poll Lambda's local duration;
 *  2. per training hour and per retrain: those per-poll figures x the polls each schedule makes for jobs
 *     of 1, 4, 24 and 72 hours (src/polling/schedule.ts countLoop), and the dollars at the price table
 *     (src/polling/orchestration-cost.ts; BENCH_PRICES='{"stateTransitionUsd":...}' overrides).
 *
 * Environment: BENCH_BATCHES (OCR Map iterations of a retrain, default 10), BENCH_OUT.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startLocalPipeline } from '../local/pipeline';
import { createRehearsalRun, fakeTrainer, pollLoopInput } from '../local/rehearsal';
import { historyEventCount, type ExecutionEvent } from '../local/stepfunctions';
import { DEFAULT_ORCHESTRATION_PRICES, orchestrationPricesSchema } from '../src/contracts/prices';
import { orchestrationCost } from '../src/polling/orchestration-cost';
import { HISTORY_EVENTS_PER_POLL, TRANSITIONS_PER_POLL } from '../src/contracts/poll-pace';
import { CONTINUE_EVENTS, CONTINUE_TRANSITIONS, countLoop, nextPollSeconds } from '../src/polling/schedule';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUT_FILE = path.resolve(ROOT, process.env['BENCH_OUT'] ?? path.join('.doctrain', 'bench', 'polling.json'));
const BATCHES = Number(process.env['BENCH_BATCHES'] ?? 10);
const PRICES = orchestrationPricesSchema.parse({ ...DEFAULT_ORCHESTRATION_PRICES, ...JSON.parse(process.env['BENCH_PRICES'] ?? '{}') });
const HOUR = 3600;
const LOOP_STATES = new Set(['WaitForTraining', 'PollTraining', 'TrainingStatus']);
const HAND_OVER_OUT = new Set(['RecordContinuation', 'ContinueAsNew', 'ContinuedAsNew']);
const HAND_OVER_IN = new Set(['EnterPipeline', 'ResumePolling']);
/** The replaced loop, per poll (issue 8: "a poll costs 4 transitions and 14 history events"). */
const OLD_LOOP = { transitionsPerPoll: 4, eventsPerPoll: 14, fixedSeconds: 30 };
/** Memory of the functions (serverless.yml): pollTraining 512 MB; recordStatus the provider's 1024 MB. */
const POLL_MEMORY_MB = 512;
const RECORD_MEMORY_MB = 1024;

const entered = (events: readonly ExecutionEvent[], names: ReadonlySet<string>): ExecutionEvent[] =>
  events.filter((e) => e.stateName !== undefined && names.has(e.stateName));

const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

/** Part 1: the adaptive loop on the local runtime. */
const measureLoop = async () => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'doctrain-bench-polling-'));
  const pipeline = await startLocalPipeline({
    root: ROOT,
    dataDir,
    stage: 'local',
    waitMs: 25,
    retryTimeScale: 0.01,
    sagemaker: { runner: 'process', trainer: fakeTrainer(ROOT), timeScale: 20_000, checkpointSyncSeconds: 0.2 },
    settings: { DOCTRAIN_LOOP_HISTORY_BUDGET: '240', DOCTRAIN_CHECKPOINT_INTERVAL_SECONDS: '20000' },
  });
  try {
    const run = await createRehearsalRun(pipeline, 'bench-polling', { epochs: 8, epochSeconds: 0.6 });
    const chain = await pipeline.executeChain(pollLoopInput(run), { executionName: run.runId });
    const last = chain.at(-1);
    if (last?.status !== 'SUCCEEDED') throw new Error(`CHECK FAILED: the loop ended ${last?.status}: ${last?.error}: ${last?.cause}`);
    const events = chain.flatMap((outcome) => outcome.events);
    const polls = events.filter((e) => e.type === 'StateEntered' && e.stateName === 'PollTraining').length;
    const loopEvents = entered(events, LOOP_STATES);
    const handOvers = chain.length - 1;
    // A hand-over: the old execution's last states and the new one's entry (the first execution of this
    // rehearsal enters the loop the same way, but a real run's first execution starts at ValidateInput).
    const handOverEvents = chain.slice(0, -1).flatMap((outcome) => entered(outcome.events, HAND_OVER_OUT));
    const entryEvents = chain.slice(1).flatMap((outcome) => entered(outcome.events, HAND_OVER_IN));
    const pollMs: number[] = [];
    let startedAt: number | undefined;
    for (const e of events) {
      if (e.stateName !== 'PollTraining') continue;
      if (e.type === 'StateEntered') startedAt = e.timestamp;
      if (e.type === 'StateExited' && startedAt !== undefined) pollMs.push(e.timestamp - startedAt);
    }
    return {
      executions: chain.length,
      historyEventsPerExecution: chain.map((outcome) => outcome.historyEvents),
      polls,
      transitionsPerPoll: loopEvents.filter((e) => e.type === 'StateEntered').length / polls,
      historyEventsPerPoll: historyEventCount(loopEvents) / polls,
      transitionsPerHandOver:
        handOvers === 0
          ? 0
          : (handOverEvents.filter((e) => e.type === 'StateEntered').length + entryEvents.filter((e) => e.type === 'StateEntered').length) /
            handOvers,
      // + the old execution's ExecutionSucceeded and the new one's ExecutionStarted.
      historyEventsPerHandOver:
        handOvers === 0 ? 0 : (historyEventCount(handOverEvents) + historyEventCount(entryEvents) + 2 * handOvers) / handOvers,
      pollLambdaMedianMs: median(pollMs),
    };
  } finally {
    await pipeline.close();
    await rm(dataDir, { recursive: true, force: true });
  }
};

/**
 * Transitions of a retrain outside the loop: EnterPipeline, ValidateInput, RecordPending, PlanBatches,
 * RecordPreparing, OcrDocuments + 3 a batch, BuildDataset, CreateTrainingJob, RecordTraining, StartPolling,
 * InitPolling; then FinalizeRun, RunOutcome, Done. The same for both loops (they differ in the loop only).
 */
const fixedTransitions = (batches: number): number => 12 + 3 * batches + 3;
/** Lambda calls outside the loop: ValidateInput, RecordPending, PlanBatches, RecordPreparing, B x OcrBatch, BuildDataset, RecordTraining, FinalizeRun. */
const fixedLambdaCalls = (batches: number): number => 7 + batches;

const main = async (): Promise<void> => {
  const measured = await measureLoop();
  const checks: [string, number, number][] = [
    ['transitions a poll', measured.transitionsPerPoll, TRANSITIONS_PER_POLL],
    ['history events a poll', measured.historyEventsPerPoll, HISTORY_EVENTS_PER_POLL],
    ['transitions a hand-over', measured.transitionsPerHandOver, CONTINUE_TRANSITIONS],
    ['history events a hand-over', measured.historyEventsPerHandOver, CONTINUE_EVENTS],
  ];
  for (const [what, got, model] of checks) {
    if (Math.abs(got - model) > 0.01) {
      console.error(`CHECK FAILED: measured ${got} ${what}; src/polling/schedule.ts says ${model}`);
      process.exitCode = 1;
    }
  }
  const pollBilledMs = Math.max(1, Math.ceil(measured.pollLambdaMedianMs));
  const schedule = { pollSeconds: 60, maxPollSeconds: 600 };
  const rows = [1, 4, 24, 72].map((hours) => {
    const adaptive = countLoop(hours * HOUR, (elapsed) => nextPollSeconds(schedule, elapsed));
    const oldPolls = Math.ceil((hours * HOUR) / OLD_LOOP.fixedSeconds);
    const old = { polls: oldPolls, transitions: oldPolls * OLD_LOOP.transitionsPerPoll, historyEvents: oldPolls * OLD_LOOP.eventsPerPoll };
    const adaptiveCost = orchestrationCost(
      {
        transitions: fixedTransitions(BATCHES) + adaptive.transitions,
        lambdaCalls: [
          // The steps' own compute (OCR, dataset) is the same either way and no orchestration: requests only.
          { count: fixedLambdaCalls(BATCHES), memoryMb: RECORD_MEMORY_MB, billedMs: 0 },
          { count: adaptive.polls, memoryMb: POLL_MEMORY_MB, billedMs: pollBilledMs },
          { count: adaptive.executions - 1, memoryMb: RECORD_MEMORY_MB, billedMs: pollBilledMs },
        ],
      },
      PRICES,
    );
    const oldCost = orchestrationCost(
      {
        transitions: fixedTransitions(BATCHES) + old.transitions,
        lambdaCalls: [
          { count: fixedLambdaCalls(BATCHES), memoryMb: RECORD_MEMORY_MB, billedMs: 0 },
          { count: old.polls, memoryMb: RECORD_MEMORY_MB, billedMs: pollBilledMs },
        ],
      },
      PRICES,
    );
    return {
      hours,
      adaptive: {
        ...adaptive,
        transitionsPerHour: adaptive.transitions / hours,
        historyEventsPerHour: adaptive.historyEvents / hours,
        costUsd: adaptiveCost,
      },
      fixed30s: {
        ...old,
        transitionsPerHour: old.transitions / hours,
        historyEventsPerHour: old.historyEvents / hours,
        executionsNeeded: Math.ceil(old.historyEvents / 25_000),
        costUsd: oldCost,
      },
      ratio: {
        transitions: old.transitions / adaptive.transitions,
        historyEvents: old.historyEvents / adaptive.historyEvents,
        cost: oldCost.totalUsd / adaptiveCost.totalUsd,
      },
    };
  });

  const usd = (v: number): string => `$${v.toFixed(4)}`;
  console.log('\n## Training poll loop: adaptive vs fixed 30 s\n');
  console.log(
    `Measured on the local runtime (${measured.executions} executions, ${measured.polls} polls; history events per execution: ${measured.historyEventsPerExecution.join(', ')}):`,
  );
  console.log(
    `${measured.transitionsPerPoll.toFixed(2)} transitions and ${measured.historyEventsPerPoll.toFixed(2)} history events a poll; a continue-as-new hand-over ${measured.transitionsPerHandOver.toFixed(1)} transitions, ${measured.historyEventsPerHandOver.toFixed(1)} events; PollTraining median ${measured.pollLambdaMedianMs} ms locally (used as its billed duration).\n`,
  );
  console.log(
    '| job | adaptive: polls / transitions per h / events per h / executions | fixed 30 s: transitions per h / events per h / executions | ratio transitions | orchestration $ per retrain (adaptive vs fixed) |',
  );
  console.log('|---|---|---|---:|---|');
  for (const row of rows) {
    console.log(
      `| ${row.hours} h | ${row.adaptive.polls} / ${row.adaptive.transitionsPerHour.toFixed(1)} / ${row.adaptive.historyEventsPerHour.toFixed(0)} / ${row.adaptive.executions} | ${row.fixed30s.transitionsPerHour.toFixed(0)} / ${row.fixed30s.historyEventsPerHour.toFixed(0)} / ${row.fixed30s.executionsNeeded} | ${row.ratio.transitions.toFixed(1)}x | ${usd(row.adaptive.costUsd.totalUsd)} vs ${usd(row.fixed30s.costUsd.totalUsd)} (${row.ratio.cost.toFixed(1)}x) |`,
    );
  }
  console.log(
    `\nPrices: ${JSON.stringify(PRICES)}; a retrain = ${BATCHES} OCR batches + the loop; the fixed loop's "executions" is how many a single execution would need (it had no continue-as-new: it failed at 25,000 events).`,
  );
  await mkdir(path.dirname(OUT_FILE), { recursive: true });
  await writeFile(
    OUT_FILE,
    `${JSON.stringify({ node: process.version, cpus: os.cpus().length, prices: PRICES, batches: BATCHES, measured, rows }, null, 2)}\n`,
  );
  console.log(`\nJSON: ${path.relative(ROOT, OUT_FILE)}`);
};

await main();
