/** The scheduled retrain in the packaged template: the EventBridge rule, its rate, its state per stage and its input. */
import { expect, it } from 'vitest';
import { executionInputSchema } from '../../../src/contracts/execution-input';
import { describeEachStage, type Resource, referencedId, resource, resourcesOfType, stateMachine, statementsOf } from './packaged';

describeEachStage('schedule', (template, stage) => {
  it(`schedules the pipeline every 7 days, ${stage === 'prod' ? 'ENABLED' : 'DISABLED'} in ${stage}, with {trigger: schedule, scheduledAt: <the event's time>}`, () => {
    // Prepare
    const { logicalId } = stateMachine(template());
    // Act
    const schedules = resourcesOfType(template(), 'AWS::Events::Rule').filter(([, r]) => r.Properties['ScheduleExpression'] !== undefined);
    expect(schedules).toHaveLength(1);
    const [, rule] = schedules[0] as [string, Resource];
    // Assess
    expect(rule.Properties['ScheduleExpression']).toBe('rate(7 days)');
    expect(rule.Properties['State']).toBe(stage === 'prod' ? 'ENABLED' : 'DISABLED');
    const targets = rule.Properties['Targets'] as {
      Arn: unknown;
      InputTransformer: { InputPathsMap: Record<string, string>; InputTemplate: string };
      RoleArn: unknown;
    }[];
    expect(targets).toHaveLength(1);
    expect(referencedId(targets[0]?.Arn)).toBe(logicalId);
    // The schedule time is the run (ValidateInput's scheduledRunId): a retried delivery of the tick is the same run.
    const transformer = targets[0]?.InputTransformer;
    expect(transformer?.InputPathsMap).toEqual({ time: '$.time' });
    const time = '2026-12-06T12:00:00Z';
    const input: unknown = JSON.parse((transformer?.InputTemplate ?? '').replace('<time>', JSON.stringify(time)));
    expect(input).toEqual({ trigger: 'schedule', scheduledAt: time });
    expect(executionInputSchema.safeParse(input).success).toBe(true);
    // The rule's role may only start this state machine.
    const ruleRole = resource(template(), referencedId(targets[0]?.RoleArn) ?? '');
    const ruleStatements = JSON.stringify(statementsOf(ruleRole));
    expect(ruleStatements).toContain('states:StartExecution');
  });
});
