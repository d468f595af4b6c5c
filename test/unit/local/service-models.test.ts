/**
 * The local services' enums, bounds and patterns against botocore's service models in the project venv
 * (the reference for what AWS accepts): a test fails when a local constant drifts from the model, so the
 * local SageMaker and Step Functions keep refusing what the services refuse.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { TRAINING_INSTANCE_TYPES } from '../../../local/sagemaker/instance-types';
import { ENTITY_NAME, SORT_ORDERS, TRAINING_JOB_SORT_BY, TRAINING_JOB_STATUSES } from '../../../local/sagemaker/validate';
import { EXECUTION_STATUSES } from '../../../local/sfn/execution-store';
import { historyEvents } from '../../../local/sfn/history';
import { INCLUDED_DATA, PAGE_SIZE } from '../../../local/sfn/requests';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

const shapeSchema = z.looseObject({
  type: z.string(),
  enum: z.array(z.string()).optional(),
  pattern: z.string().optional(),
  min: z.number().optional(),
  max: z.number().optional(),
  members: z.record(z.string(), z.looseObject({ shape: z.string() })).optional(),
});
const modelSchema = z.looseObject({ shapes: z.record(z.string(), shapeSchema) });

/** botocore's service-2 model of `service` in the project venv (scripts/setup.sh installs botocore there). */
const serviceModel = (service: string) => {
  const lib = path.join(ROOT, '.venv', 'lib');
  const python = readdirSync(lib).find((name) => name.startsWith('python3'));
  if (python === undefined) throw new Error(`no python3.* in ${lib}: run npm run setup`);
  const dir = path.join(lib, python, 'site-packages', 'botocore', 'data', service);
  const [version] = readdirSync(dir).sort().reverse();
  const model = modelSchema.parse(
    JSON.parse(gunzipSync(readFileSync(path.join(dir, version ?? '', 'service-2.json.gz'))).toString('utf8')),
  );
  return (name: string) => {
    const shape = model.shapes[name];
    if (shape === undefined) throw new Error(`${service} model has no shape ${name}`);
    return shape;
  };
};

describe("the local SageMaker against botocore's sagemaker model", () => {
  const shape = serviceModel('sagemaker');

  it('refuses the instance types TrainingInstanceType does not list, and takes every one it does', () => {
    // Act
    const modelled = shape('TrainingInstanceType').enum;
    // Assess
    expect(shape(shape('ResourceConfig').members?.['InstanceType']?.shape ?? '').enum).toEqual(modelled);
    expect([...TRAINING_INSTANCE_TYPES]).toEqual(modelled);
  });

  it("has ListTrainingJobs' StatusEquals, SortBy and SortOrder enums", () => {
    // Prepare
    const members = shape('ListTrainingJobsRequest').members ?? {};
    const enumOf = (member: string) => shape(members[member]?.shape ?? '').enum;
    // Assess
    expect([...TRAINING_JOB_STATUSES]).toEqual(enumOf('StatusEquals'));
    expect([...TRAINING_JOB_SORT_BY]).toEqual(enumOf('SortBy'));
    expect([...SORT_ORDERS]).toEqual(enumOf('SortOrder'));
  });

  it('has the TrainingJobName pattern and length of Describe/StopTrainingJob', () => {
    // Prepare
    const name = shape(shape('DescribeTrainingJobRequest').members?.['TrainingJobName']?.shape ?? '');
    // Assess
    expect(shape(shape('StopTrainingJobRequest').members?.['TrainingJobName']?.shape ?? '')).toEqual(name);
    expect({ pattern: name.pattern, min: name.min, max: name.max }).toEqual({ pattern: ENTITY_NAME, min: 1, max: 63 });
  });
});

describe("the local Step Functions against botocore's stepfunctions model", () => {
  const shape = serviceModel('stepfunctions');

  it('has its ExecutionStatus, IncludedData and PageSize', () => {
    // Assess
    expect([...EXECUTION_STATUSES]).toEqual(shape('ExecutionStatus').enum);
    expect([...INCLUDED_DATA]).toEqual(shape('IncludedData').enum);
    expect({ min: shape('PageSize').min, max: shape('PageSize').max }).toEqual(PAGE_SIZE);
  });

  it('writes history events of HistoryEventType only, for every local event kind', () => {
    // Prepare: one of each event the local runner emits, for each state type
    const local = ['Task', 'Map', 'Parallel', 'Pass', 'Wait', 'Choice', 'Succeed', 'Fail'].flatMap((stateType) =>
      ['StateEntered', 'StateExited', 'StateFailed', 'StateRetried', 'StateCaught'].map((type) => ({
        type,
        stateType,
        stateName: stateType,
        timestamp: 1,
      })),
    );
    const events = [
      { type: 'ExecutionStarted', timestamp: 0 },
      ...local,
      ...['MapIterationStarted', 'MapIterationSucceeded', 'MapIterationFailed'].map((type) => ({
        type,
        mapStateName: 'Map',
        iteration: 0,
        timestamp: 2,
      })),
      ...['ExecutionSucceeded', 'ExecutionFailed', 'ExecutionTerminated'].map((type) => ({ type, timestamp: 3 })),
    ];
    const execution = {
      executionArn: 'arn:aws:states:us-east-1:000000000000:execution:m:e',
      stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:m',
      stateMachineName: 'm',
      name: 'e',
      status: 'SUCCEEDED' as const,
      startDate: new Date(0).toISOString(),
      input: {},
      events,
    };
    // Act
    const history = historyEvents(execution, {});
    // Assess
    const modelled = new Set(shape('HistoryEventType').enum);
    expect(history.map((event) => event.type).filter((type) => !modelled.has(type))).toEqual([]);
    const details = new Set(Object.keys(shape('HistoryEvent').members ?? {}));
    expect(history.flatMap((event) => Object.keys(event)).filter((key) => !details.has(key))).toEqual([]);
  });
});
