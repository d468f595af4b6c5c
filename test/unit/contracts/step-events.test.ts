/**
 * The step contracts (each step's src/steps/<step>/schema.ts, and src/contracts/run-config.ts) against the state machine that uses them
 * (statemachines/train-pipeline.asl.yml, loaded as the local runtime and the package load it):
 * - each Lambda Task sends exactly the keys its function's event schema declares (none missing, none
 *   unknown: the schemas are strict, so an extra key would fail the step at run time);
 * - each step output lands where the ASL reads it (ResultPath), and every `$.config…`, `$.plan…`,
 *   `$.ocr…`, `$.dataset…`, `$.outcome…` path the ASL reads, and every ResultSelector path, is a field
 *   of that output's schema (a renamed output field fails here, not in a run on AWS).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { loadServerlessProject } from '../../../local/serverless-project';
import * as runConfig from '../../../src/contracts/run-config';
import * as validateInput from '../../../src/steps/validate-input/schema';
import * as planBatches from '../../../src/steps/plan-batches/schema';
import * as ocrBatch from '../../../src/steps/ocr-batch/schema';
import * as buildDataset from '../../../src/steps/build-dataset/schema';
import * as recordStatus from '../../../src/steps/record-status/schema';
import * as finalizeRun from '../../../src/steps/finalize-run/schema';
import * as preflight from '../../../src/steps/preflight/schema';
import * as trainingAttempt from '../../../src/steps/training-attempt/schema';
import * as pollTraining from '../../../src/steps/poll-training/schema';
import * as checkFingerprint from '../../../src/steps/check-fingerprint/schema';
import * as promoteModel from '../../../src/steps/promote-model/schema';
import * as notifyRun from '../../../src/steps/notify-run/schema';
import * as tuningJob from '../../../src/steps/tuning-job/schema';
import * as objects from '../../../src/contracts/objects';
import { trainingConfigSchema } from '../../../src/contracts/training-config';
import { lambdaTasks, type AslState, type LambdaTask } from '../asl-states';

/** Every step's schemas, and the run config they share (src/steps/<step>/schema.ts, src/contracts/run-config.ts). */
const events = {
  ...runConfig,
  ...validateInput,
  ...planBatches,
  ...ocrBatch,
  ...buildDataset,
  ...recordStatus,
  ...finalizeRun,
  ...preflight,
  ...trainingAttempt,
  ...pollTraining,
  ...checkFingerprint,
  ...promoteModel,
  ...notifyRun,
  ...tuningJob,
};

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const definition = loadServerlessProject(ROOT).stateMachines['trainPipeline'] as { States: Record<string, AslState> };

interface StepOutput {
  output: z.ZodType;
  resultPath: string | null | undefined;
}
/**
 * Each function (by its logical id): its event schema, its output schema and where the ASL puts the output
 * (a function whose actions return different outputs: per action, `byAction`).
 */
const STEPS: Record<
  string,
  StepOutput & { event: z.ZodObject | z.ZodDiscriminatedUnion<z.ZodObject[]>; byAction?: Record<string, StepOutput> }
> = {
  ValidateInputLambdaFunction: { event: events.validateInputEventSchema, output: events.validateInputOutputSchema, resultPath: undefined },
  PlanBatchesLambdaFunction: { event: events.planBatchesEventSchema, output: events.planResultSchema, resultPath: '$.plan' },
  OcrBatchLambdaFunction: { event: events.ocrBatchEventSchema, output: events.ocrBatchSummarySchema, resultPath: '$.ocr' },
  CollectTextractJobsLambdaFunction: { event: events.ocrBatchEventSchema, output: events.ocrBatchSummarySchema, resultPath: '$.ocr' },
  BuildDatasetLambdaFunction: { event: events.buildDatasetEventSchema, output: events.datasetPointersSchema, resultPath: '$.dataset' },
  RecordStatusLambdaFunction: { event: events.recordStatusEventSchema, output: events.recordStatusResultSchema, resultPath: null },
  FinalizeRunLambdaFunction: { event: events.finalizeRunEventSchema, output: events.runOutcomeSchema, resultPath: '$.outcome' },
  PreflightLambdaFunction: { event: events.preflightEventSchema, output: events.preflightResultSchema, resultPath: '$.preflight' },
  PollTrainingLambdaFunction: { event: events.pollTrainingEventSchema, output: events.pollResultSchema, resultPath: '$.polling' },
  CheckFingerprintLambdaFunction: {
    event: events.checkFingerprintEventSchema,
    output: events.retrainDecisionSchema,
    resultPath: '$.retrain',
  },
  PromoteModelLambdaFunction: {
    event: events.promoteModelEventSchema,
    output: events.promoteModelResultSchema,
    resultPath: '$.outcome.promotion',
  },
  NotifyRunLambdaFunction: { event: events.notifyRunEventSchema, output: events.notifyRunResultSchema, resultPath: null },
  TrainingAttemptLambdaFunction: {
    event: events.trainingAttemptEventSchema,
    output: trainingConfigSchema,
    resultPath: '$.config.training',
  },
  TuningJobLambdaFunction: {
    event: events.tuningJobEventSchema,
    output: events.preparedTuningSchema,
    resultPath: '$.tuning',
    byAction: { poll: { output: events.tuningPollSchema, resultPath: '$.tuning.poll' } },
  },
};

/** Where a task's output goes and what it is: its function's, or its action's where that differs. */
const outputOf = (task: LambdaTask): StepOutput | undefined => {
  const step = STEPS[task.logicalId];
  const action = task.parameters?.['action'];
  return (typeof action === 'string' ? step?.byAction?.[action] : undefined) ?? step;
};

/** The state fields the ASL reads (what each holds at the point it is read). */
const STATE_FIELDS: Record<string, z.ZodType> = {
  config: events.runConfigSchema,
  plan: events.planResultSchema,
  ocr: events.ocrBatchSummarySchema,
  dataset: events.datasetPointersSchema,
  outcome: events.runOutcomeSchema,
  preflight: events.preflightResultSchema,
  polling: events.pollResultSchema,
  retrain: events.retrainDecisionSchema,
  // PrepareTuning's output, its `poll` replaced by each PollTuning's.
  tuning: events.preparedTuningSchema.extend({ poll: events.tuningPollSchema }),
};

/** Every JSONPath the ASL reads from the state (`key.$` values, *Path fields, Choice variables), with where. */
const pathsRead = (states: Record<string, AslState>): { where: string; path: string }[] => {
  const paths: { where: string; path: string }[] = [];
  const fromObject = (where: string, value: unknown): void => {
    if (Array.isArray(value)) value.forEach((item) => fromObject(where, item));
    else if (typeof value === 'object' && value !== null) {
      for (const [key, inner] of Object.entries(value)) {
        if ((key.endsWith('.$') || key === 'Variable' || (key.endsWith('Path') && key !== 'ResultPath')) && typeof inner === 'string')
          paths.push({ where: `${where}.${key}`, path: inner });
        else if (key !== 'ResultSelector' && key !== 'ItemProcessor') fromObject(`${where}.${key}`, inner);
      }
    }
  };
  const visit = (level: Record<string, AslState>): void => {
    for (const [name, state] of Object.entries(level)) {
      fromObject(name, state);
      if (state.ItemProcessor) visit(state.ItemProcessor.States);
    }
  };
  visit(states);
  return paths;
};

/** The schema of a field path inside `schema`, or undefined where the schema has no such field. */
const fieldAt = (schema: z.ZodType, segments: readonly string[]): z.ZodType | undefined => {
  let current: z.ZodType = schema;
  for (const segment of segments) {
    while (current instanceof z.ZodOptional || current instanceof z.ZodNullable || current instanceof z.ZodDefault) {
      current = current.unwrap() as z.ZodType;
    }
    if (current instanceof z.ZodObject) {
      const next = (current.shape as Record<string, z.ZodType | undefined>)[segment];
      if (next === undefined) return undefined;
      current = next;
    } else if (current instanceof z.ZodRecord) {
      current = current.valueType as z.ZodType;
    } else {
      return undefined;
    }
  }
  return current;
};

/** The event's object schema for what a state sends: a discriminated union's option by the constant the state sends for its discriminator. */
const eventShapeFor = (schema: z.ZodObject | z.ZodDiscriminatedUnion<z.ZodObject[]>, parameters: Record<string, unknown>): z.ZodObject => {
  if (schema instanceof z.ZodObject) return schema;
  const discriminator = schema.def.discriminator;
  const option = schema.options.find(
    (o) => (o.shape as Record<string, z.ZodType>)[discriminator]?.safeParse(parameters[discriminator]).success,
  );
  if (option === undefined) throw new Error(`no ${discriminator} option for ${JSON.stringify(parameters[discriminator])}`);
  return option;
};

const requiredKeys = (schema: z.ZodObject): string[] =>
  Object.entries(schema.shape as Record<string, z.ZodType>)
    .filter(([, field]) => !field.safeParse(undefined).success)
    .map(([key]) => key);

describe('step events and outputs against the state machine', () => {
  const tasks = lambdaTasks(definition.States);

  it('every Lambda task of the ASL has its contracts here', () => {
    expect([...new Set(tasks.map((task) => task.logicalId))].sort()).toEqual(Object.keys(STEPS).sort());
  });

  it.each(tasks.map((task) => [task.name, task] as const))("%s sends exactly its function's event keys", (_name, task) => {
    const step = STEPS[task.logicalId];
    if (!step) throw new Error(`no contract for ${task.logicalId}`);
    const parameters = task.parameters ?? {};
    const sent = Object.keys(parameters)
      .map((key) => key.replace(/\.\$$/, ''))
      .sort();
    const event = eventShapeFor(step.event, parameters);
    const declared = Object.keys(event.shape).sort();
    expect(
      sent.filter((key) => !declared.includes(key)),
      'keys the ASL sends that the event schema does not declare',
    ).toEqual([]);
    expect(
      requiredKeys(event).filter((key) => !sent.includes(key)),
      'required keys the ASL does not send',
    ).toEqual([]);
  });

  it.each(tasks.map((task) => [task.name, task] as const))(
    '%s puts its output where the ASL reads it, and selects only output fields',
    (_name, task) => {
      const step = outputOf(task);
      if (!step) throw new Error(`no contract for ${task.logicalId}`);
      expect(task.state.ResultPath).toBe(step.resultPath);
      for (const [key, value] of Object.entries(task.state.ResultSelector ?? {})) {
        expect(typeof value === 'string' && value.startsWith('$.'), `${key}: ${String(value)}`).toBe(true);
        expect(fieldAt(step.output, String(value).slice(2).split('.')), `ResultSelector ${key}: ${String(value)}`).toBeDefined();
      }
    },
  );

  it('every state field the ASL reads is a field of the step output that wrote it', () => {
    const read = pathsRead(definition.States).filter(({ path: p }) =>
      /^\$\.(config|plan|ocr|dataset|outcome|preflight|polling|tuning)(\.|$)/.test(p),
    );
    expect(read.length).toBeGreaterThan(30);
    const missing = read.filter(({ path: p }) => {
      const [field = '', ...rest] = p.slice(2).split('.');
      const schema = STATE_FIELDS[field];
      return schema === undefined || fieldAt(schema, rest) === undefined;
    });
    expect(missing).toEqual([]);
  });

  it('each Map item field the ASL reads ($$.Map.Item.Value.<field>) is a field of the item PlanBatches writes', () => {
    const maps = Object.entries(definition.States).filter(([, state]) => state.Type === 'Map');
    expect(maps.map(([name]) => name)).toEqual(['OcrDocuments']);
    const itemPaths = pathsRead(definition.States).filter(({ path: p }) => p.startsWith('$$.Map.Item.Value'));
    expect(itemPaths.map(({ where }) => where)).toEqual(['OcrDocuments.ItemSelector.batchIndex.$']);
    const item = objects.ocrMapItemsFileSchema.element;
    for (const { path: p } of itemPaths) expect(fieldAt(item, p.split('.').slice(4)), p).toBeDefined();
  });

  it("ValidateInput's output is what every later state reads under $.config", () => {
    expect(fieldAt(events.validateInputOutputSchema, ['config'])).toBe(events.runConfigSchema);
  });

  // events/<step>.json is what `sls invoke local` and the README walkthrough send: the function's own schema accepts it.
  it.each(
    loadServerlessProject(ROOT)
      .functions.filter((fn) => fn.logicalId in STEPS && fn.eventPatterns.length === 0)
      .map((fn) => [fn.step, fn.logicalId] as const),
  )("events/%s.json parses with its function's event schema", (step, logicalId) => {
    const event: unknown = JSON.parse(readFileSync(path.join(ROOT, 'events', `${step}.json`), 'utf8'));
    const parsed = STEPS[logicalId]?.event.safeParse(event);
    expect(parsed?.success, parsed?.error?.message).toBe(true);
  });
});
