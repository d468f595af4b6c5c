/** The scheduled retrain in the packaged template: the EventBridge rule, its rate, its state per stage and its input. */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  packagedStages,
  type Resource,
  type Template,
  referencedId,
  resource,
  resourcesOfType,
  stateMachine,
  statementsOf,
  type Packaged,
  type Stage,
} from './packaged';

let packaged: Record<Stage, Packaged>;
beforeAll(async () => {
  packaged = await packagedStages();
}, 600_000);

describe.each(['dev', 'prod'] as const)('schedule: sls package --stage %s', (stage) => {
  const template = (): Template => packaged[stage].template;

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
