/**
 * The sample events in events/ (used by `sls invoke local --path events/<function>.json`) have exactly
 * the shape the state machine sends each function: the keys of one of its Task states' Parameters (or,
 * for a Map iteration, the Map's ItemSelector).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LocalStepFunctions, matchesPattern } from '../../../local/executions';
import { loadServerlessProject, resolveReferences } from '../../../local/serverless-project';
import { lambdaTasks, type AslState, type Json } from '../asl-states';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const project = loadServerlessProject(ROOT);
/** A function's sample event: events/<step>.json, the step being its handler's folder. */
const eventPath = (key: string): string => path.join(ROOT, 'events', `${project.functions.find((fn) => fn.key === key)?.step ?? key}.json`);

const isPlainObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Parameters -> the event's shape: `key.$` becomes `key`; nested literal objects keep their own shape. */
const shapeOf = (parameters: Json): Json =>
  Object.fromEntries(
    Object.entries(parameters).map(([key, value]) =>
      key.endsWith('.$') ? [key.slice(0, -2), '*'] : [key, isPlainObject(value) ? shapeOf(value) : '*'],
    ),
  );

/** An event's shape down to the depth the Parameters fix (a `.$` value may be any JSON). */
const eventShape = (event: Json, like: Json): Json =>
  Object.fromEntries(
    Object.entries(event).map(([key, value]) => {
      const expected = like[key];
      return [key, isPlainObject(expected) && isPlainObject(value) ? eventShape(value, expected) : '*'];
    }),
  );

/** Key order does not matter. */
const canonical = (value: unknown): string =>
  isPlainObject(value)
    ? `{${Object.keys(value)
        .sort()
        .map((key) => `${JSON.stringify(key)}:${canonical(value[key])}`)
        .join(',')}}`
    : JSON.stringify(value);

/** Every shape of event the state machine sends to the function with this logical id. */
const shapesSentTo = (logicalId: string): { state: string; shape: Json }[] =>
  lambdaTasks((project.stateMachines['trainPipeline'] as { States: Record<string, AslState> }).States)
    .filter((task) => task.logicalId === logicalId && task.parameters !== undefined)
    .map((task) => ({ state: task.name, shape: shapeOf(task.parameters ?? {}) }));

describe('events/ sample events', () => {
  it('exist for every function of serverless.yml, and only for those', () => {
    for (const fn of project.functions) {
      expect(existsSync(eventPath(fn.key)), fn.key).toBe(true);
      expect(existsSync(path.join(ROOT, 'src', 'steps', fn.step, 'step.ts')), `src/steps/${fn.step}/step.ts`).toBe(true);
    }
    // create-training-job.json is the request the CreateTrainingJob task sends (for `aws sagemaker`), no function's event.
    const samples = readdirSync(path.join(ROOT, 'events')).filter((name) => name !== 'create-training-job.json');
    expect(samples.sort()).toEqual(project.functions.map((fn) => `${fn.step}.json`).sort());
    expect(project.functions.map((fn) => fn.key).sort()).toEqual([
      'buildDataset',
      'checkFingerprint',
      'collectTextractJobs',
      'finalizeRun',
      'notifyRun',
      'ocrBatch',
      'planBatches',
      'pollTraining',
      'preflight',
      'promoteModel',
      'recordStatus',
      'stopEndedRun',
      'trainingAttempt',
      'tuningJob',
      'validateInput',
    ]);
  });

  // Functions EventBridge invokes get an event their pattern matches instead (below).
  const invokedByStates = project.functions.filter((fn) => fn.eventPatterns.length === 0);
  const invokedByEvents = project.functions.filter((fn) => fn.eventPatterns.length > 0);

  it.each(invokedByEvents.map((fn) => [fn.key, fn]))('%s.json is an event one of its eventBridge patterns matches', (key, fn) => {
    // Prepare
    const event = JSON.parse(readFileSync(eventPath(key), 'utf8')) as Json;
    // The sample events are the local stage's: its pipeline's ARN is what a Ref to the state machine gives.
    const machine = project.stateMachine('trainPipeline', 'local');
    const refs = { [machine.logicalId]: LocalStepFunctions.stateMachineArn(machine.name) };
    const patterns = fn.eventPatterns.map((pattern) => resolveReferences(pattern, { stage: 'local', refs }) as Json);
    // Assess
    expect(patterns.some((pattern) => matchesPattern(pattern, event))).toBe(true);
  });

  it.each(invokedByStates.map((fn) => [fn.key, fn.logicalId]))('%s.json has the shape a state sends it', (key, logicalId) => {
    // Prepare
    const event = JSON.parse(readFileSync(eventPath(key), 'utf8')) as Json;
    const sent = shapesSentTo(logicalId);
    expect(sent.length, `no state invokes ${logicalId}`).toBeGreaterThan(0);
    // Act
    const matching = sent.filter(({ shape }) => canonical(eventShape(event, shape)) === canonical(shape));
    // Assess
    expect(
      matching.map((m) => m.state),
      `event keys ${JSON.stringify(Object.keys(event))}`,
    ).not.toEqual([]);
  });

  it('agree with each other on the run they describe', () => {
    // Prepare
    const read = (key: string) => JSON.parse(readFileSync(eventPath(key), 'utf8')) as Json;
    const validate = read('validateInput') as { input: { runId: string }; executionName: string };
    const runId = validate.input.runId;
    // Assess
    for (const key of ['recordStatus', 'planBatches', 'ocrBatch', 'buildDataset', 'finalizeRun', 'pollTraining', 'trainingAttempt'])
      expect(read(key)['runId'], key).toBe(runId);
    for (const key of ['planBatches', 'ocrBatch', 'buildDataset']) expect(read(key)['runPrefix'], key).toBe(`runs/${runId}/`);
    // Both writers of the run record act for the execution validateInput resolved the run for.
    for (const key of ['recordStatus', 'finalizeRun', 'pollTraining', 'trainingAttempt'])
      expect(read(key)['executionName'], key).toBe(validate.executionName);
    expect((read('stopEndedRun')['detail'] as Json)['name']).toBe(validate.executionName);
    // ocrBatch OCRs the first (and, at planBatches' batchSize, only) batch; buildDataset reads exactly that many.
    expect(read('ocrBatch')['batchIndex']).toBe(0);
    expect(read('ocrBatch')).not.toHaveProperty('batchKey');
    expect(read('buildDataset')['batchCount']).toBe(1);
    expect(read('finalizeRun')['trainingJobName']).toBe(`doctrain-${runId}-a1`);
  });
});
