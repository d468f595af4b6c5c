/** The scheduled retrain in the packaged template: the EventBridge rule, its rate, its state per stage and its input. */
import { expect, it } from 'vitest';
import { describeEachStage, type Resource, referencedId, resource, resourcesOfType, stateMachine, statementsOf } from './packaged';

describeEachStage('schedule', (template, stage) => {
  it(`schedules the pipeline every 7 days, ${stage === 'prod' ? 'ENABLED' : 'DISABLED'} in ${stage}, with {trigger: schedule}`, () => {
    // Prepare
    const { logicalId } = stateMachine(template());
    // Act
    const schedules = resourcesOfType(template(), 'AWS::Events::Rule').filter(([, r]) => r.Properties['ScheduleExpression'] !== undefined);
    expect(schedules).toHaveLength(1);
    const [, rule] = schedules[0] as [string, Resource];
    // Assess
    expect(rule.Properties['ScheduleExpression']).toBe('rate(7 days)');
    expect(rule.Properties['State']).toBe(stage === 'prod' ? 'ENABLED' : 'DISABLED');
    const targets = rule.Properties['Targets'] as { Arn: unknown; Input: string; RoleArn: unknown }[];
    expect(targets).toHaveLength(1);
    expect(referencedId(targets[0]?.Arn)).toBe(logicalId);
    expect(JSON.parse(targets[0]?.Input ?? 'null')).toEqual({ trigger: 'schedule' });
    // The rule's role may only start this state machine.
    const ruleRole = resource(template(), referencedId(targets[0]?.RoleArn) ?? '');
    const ruleStatements = JSON.stringify(statementsOf(ruleRole));
    expect(ruleStatements).toContain('states:StartExecution');
  });
});
