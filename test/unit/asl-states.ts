/** Reading the pipeline's state machine in tests: its states, and the Lambda tasks with the event each is sent. */
export type Json = Record<string, unknown>;

export interface AslState {
  Type: string;
  Resource?: unknown;
  Parameters?: Json;
  ItemSelector?: Json;
  ResultSelector?: Json;
  ResultPath?: string | null;
  ItemProcessor?: { States: Record<string, AslState> };
  [field: string]: unknown;
}

export interface LambdaTask {
  name: string;
  state: AslState;
  /** The function's logical id (`Fn::GetAtt: [<id>, Arn]`). */
  logicalId: string;
  /** What the state sends: its Parameters, or inside a Map without them, the Map's ItemSelector. */
  parameters: Json | undefined;
}

/** Every Task that invokes a Lambda function, Map iterations included. */
export const lambdaTasks = (states: Record<string, AslState>): LambdaTask[] => {
  const found: LambdaTask[] = [];
  const visit = (level: Record<string, AslState>, itemSelector?: Json): void => {
    for (const [name, state] of Object.entries(level)) {
      const logicalId = (state.Resource as { 'Fn::GetAtt'?: unknown[] } | undefined)?.['Fn::GetAtt']?.[0];
      if (state.Type === 'Task' && typeof logicalId === 'string')
        found.push({ name, state, logicalId, parameters: state.Parameters ?? itemSelector });
      if (state.ItemProcessor) visit(state.ItemProcessor.States, state.ItemSelector);
    }
  };
  visit(states);
  return found;
};
