/**
 * The local Step Functions service's refusals, named as Step Functions names them (the API's error
 * shapes; the optimized `states:startExecution` integration prefixes them `StepFunctions.` and adds
 * `Exception`, local/executions.ts).
 */

/** StartExecution of a name already used with another input, or of an execution that has ended. */
export class ExecutionAlreadyExistsError extends Error {
  public override readonly name = 'ExecutionAlreadyExists';
  public constructor(public readonly executionArn: string) {
    super(`Execution Already Exists: '${executionArn}'`);
  }
}

/** A state machine ARN no state machine of the local service has. */
export class StateMachineDoesNotExistError extends Error {
  public override readonly name = 'StateMachineDoesNotExist';
  public constructor(public readonly stateMachineArn: string) {
    super(`State Machine Does Not Exist: '${stateMachineArn}'`);
  }
}
