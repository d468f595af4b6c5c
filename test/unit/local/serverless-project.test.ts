/**
 * What the local runtime resolves in serverless.yml's event patterns: `${sls:stage}` and a `!Ref` to a
 * state machine, named by the logical id serverless-step-functions gives it (the template tests check
 * that id against the packaged template).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { matchesPattern } from '../../../local/executions';
import { loadServerlessProject, resolveReferences, stateMachineLogicalId } from '../../../local/serverless-project';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

describe('serverless.yml as the local runtime reads it', () => {
  it("names the pipeline's state machine as the stage deploys it, with serverless-step-functions' logical id", () => {
    // Act
    const machine = loadServerlessProject(ROOT).stateMachine('trainPipeline', 'prod');
    // Assess
    expect(machine.name).toBe('doctrain-prod-train-pipeline');
    expect(machine.logicalId).toBe('DoctrainDashprodDashtrainDashpipeline');
    expect(machine.definition['StartAt']).toEqual(expect.any(String));
  });

  it('derives the logical id from id, then name, then the key (naming.getStateMachineLogicalId)', () => {
    expect(stateMachineLogicalId('trainPipeline', { id: 'Pipeline', name: 'x' }, 'dev')).toBe('Pipeline');
    expect(stateMachineLogicalId('trainPipeline', { name: 'doc_${sls:stage}-sm' }, 'dev')).toBe('DocUnderscoredevDashsm');
    expect(stateMachineLogicalId('trainPipeline', {}, 'dev')).toBe('TrainPipelineStepFunctionsStateMachine');
  });

  it("resolves the stop rule's Ref to the local state machine's ARN, so only that machine's executions match", () => {
    // Prepare
    const project = loadServerlessProject(ROOT);
    const [pattern] = project.functions.find((fn) => fn.key === 'stopEndedRun')?.eventPatterns ?? [];
    const machine = project.stateMachine('trainPipeline', 'local');
    const arn = 'arn:aws:states:us-east-1:000000000000:stateMachine:doctrain-local-train-pipeline';
    const event = (stateMachineArn: string, status: string) => ({
      source: 'aws.states',
      'detail-type': 'Step Functions Execution Status Change',
      detail: { stateMachineArn, status, name: 'r1' },
    });
    // Act
    const resolved = resolveReferences(pattern, { stage: 'local', refs: { [machine.logicalId]: arn } }) as Record<string, unknown>;
    // Assess
    expect(resolved).toMatchObject({ detail: { stateMachineArn: [arn] } });
    expect(matchesPattern(resolved, event(arn, 'FAILED'))).toBe(true);
    expect(matchesPattern(resolved, event(arn, 'SUCCEEDED'))).toBe(false);
    expect(matchesPattern(resolved, event(arn.replace('doctrain-local', 'someone-else'), 'FAILED'))).toBe(false);
    // The raw pattern (an unresolved Ref) matches nothing: resolution is what makes it match.
    expect(matchesPattern(pattern ?? {}, event(arn, 'FAILED'))).toBe(false);
  });

  it('refuses what it cannot resolve instead of matching nothing silently', () => {
    const context = { stage: 'dev', refs: { Known: 'arn:known' } };
    expect(resolveReferences({ a: [{ Ref: 'Known' }], b: 'x-${sls:stage}' }, context)).toEqual({ a: ['arn:known'], b: 'x-dev' });
    expect(() => resolveReferences({ a: [{ Ref: 'Unknown' }] }, context)).toThrow(/Ref Unknown/);
    expect(() => resolveReferences({ a: [{ 'Fn::GetAtt': ['X', 'Arn'] }] }, context)).toThrow(/intrinsic function/);
    expect(() => resolveReferences({ a: '${self:custom.x}' }, context)).toThrow(/cannot resolve/);
  });
});
