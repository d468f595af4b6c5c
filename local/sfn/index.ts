/**
 * The local Step Functions API: the AWS JSON 1.0 wire protocol (`X-Amz-Target: AWSStepFunctions.<Action>`)
 * on 127.0.0.1 over a LocalStepFunctions (local/executions.ts), so an unmodified `SFNClient({ endpoint })`,
 * `AWS_ENDPOINT_URL_SFN` (the SDKs, the aws CLI) and `doctrain start` reach the local stage's state
 * machines. An execution started here runs the real ASL with the local stage's handlers and clients,
 * exactly as `doctrain run` runs it, and writes the same run records.
 *
 * Ops: StartExecution, DescribeExecution, ListExecutions (statusFilter, maxResults/nextToken),
 * GetExecutionHistory (local/sfn/history.ts: what is approximated), StopExecution, ListStateMachines,
 * DescribeStateMachine; requests checked as local/sfn/requests.ts says, errors in the API's shapes.
 */
import { JsonProtocolError, startJsonProtocolServer, type JsonObject, type LocalServer } from '../http/json-protocol-server';
import { validationError } from '../http/aws-validation';
import type { LocalStepFunctions, LocalStateMachine } from '../executions';
import { pageOf } from '../sagemaker/pagination';
import { walkStates } from '../stepfunctions';
import { ExecutionAlreadyExistsError, StateMachineDoesNotExistError } from './errors';
import type { StoredExecution } from './execution-store';
import { historyEvents, taskResource, type TaskResource } from './history';
import {
  DEFAULT_PAGE_SIZE,
  checkArn,
  checkName,
  describeExecutionSchema,
  describeStateMachineSchema,
  getExecutionHistorySchema,
  listExecutionsSchema,
  listStateMachinesSchema,
  parseExecutionInput,
  parseSfnRequest,
  startExecutionSchema,
  stopExecutionSchema,
} from './requests';

export interface LocalSfnServerOptions {
  stepFunctions: LocalStepFunctions;
  /** 0 or absent: a free port. */
  port?: number;
  /** The role DescribeStateMachine names (the stack's state machine role locally). */
  roleArn?: string;
}

/** Timestamps on the wire: epoch seconds. */
const seconds = (iso: string | undefined): number | undefined => (iso === undefined ? undefined : new Date(iso).getTime() / 1000);
const defined = (o: Record<string, unknown>): JsonObject => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
const invalidToken = (): JsonProtocolError => new JsonProtocolError('InvalidToken', 'Invalid Token');
const pageSize = (maxResults: number | undefined): number =>
  maxResults === undefined || maxResults === 0 ? DEFAULT_PAGE_SIZE : maxResults;

const executionDoesNotExist = (executionArn: string): JsonProtocolError =>
  new JsonProtocolError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`);

/** The Task states' resources of a definition, for the history's Task events. */
const taskResources = (machine: LocalStateMachine): Record<string, TaskResource> =>
  Object.fromEntries(
    [...walkStates(machine.definition)]
      .filter(([, state]) => state['Type'] === 'Task')
      .map(([name, state]) => [name, taskResource(state['Resource'])]),
  );

/** The API's errors for what LocalStepFunctions refuses. */
const asApiError = (error: unknown): unknown =>
  error instanceof ExecutionAlreadyExistsError || error instanceof StateMachineDoesNotExistError
    ? new JsonProtocolError(error.name, error.message)
    : error;

export const startLocalSfnServer = async (options: LocalSfnServerOptions): Promise<LocalServer> => {
  const sfn = options.stepFunctions;
  const roleArn = options.roleArn ?? 'arn:aws:iam::000000000000:role/doctrain-local-states';

  const machine = (stateMachineArn: string): LocalStateMachine => {
    const found = sfn.stateMachines().find((m) => m.stateMachineArn === checkArn(stateMachineArn, 'stateMachine'));
    if (found === undefined) throw asApiError(new StateMachineDoesNotExistError(stateMachineArn));
    return found;
  };
  const execution = (executionArn: string): StoredExecution => {
    const found = sfn.describe(checkArn(executionArn, 'execution'));
    if (found === undefined) throw executionDoesNotExist(executionArn);
    return found;
  };
  const listItem = (e: StoredExecution): JsonObject =>
    defined({
      executionArn: e.executionArn,
      stateMachineArn: e.stateMachineArn,
      name: e.name,
      status: e.status,
      startDate: seconds(e.startDate),
      stopDate: seconds(e.stopDate),
      redriveCount: 0,
    });

  return startJsonProtocolServer({
    targetPrefix: 'AWSStepFunctions',
    jsonVersion: '1.0',
    ...(options.port === undefined ? {} : { port: options.port }),
    handlers: {
      StartExecution: (input) => {
        const request = parseSfnRequest(startExecutionSchema, input);
        machine(request.stateMachineArn);
        const name = request.name === undefined ? undefined : checkName(request.name);
        try {
          const started = sfn.startExecution({ stateMachineArn: request.stateMachineArn, name, input: parseExecutionInput(request.input) });
          return { executionArn: started.executionArn, startDate: started.startDate.getTime() / 1000 };
        } catch (error) {
          throw asApiError(error);
        }
      },
      DescribeExecution: (input) => {
        const request = parseSfnRequest(describeExecutionSchema, input);
        const e = execution(request.executionArn);
        const data = request.includedData !== 'METADATA_ONLY';
        return defined({
          ...listItem(e),
          input: data ? JSON.stringify(e.input) : undefined,
          inputDetails: { included: data },
          output: data && e.output !== undefined ? JSON.stringify(e.output) : undefined,
          outputDetails: e.status === 'SUCCEEDED' ? { included: data } : undefined,
          error: e.error,
          cause: e.cause,
          redriveStatus: 'NOT_REDRIVABLE',
          redriveStatusReason: 'Execution is not redrivable locally',
        });
      },
      ListExecutions: (input) => {
        const request = parseSfnRequest(listExecutionsSchema, input);
        if (request.mapRunArn !== undefined) throw validationError('mapRunArn: the local Step Functions has no Map Runs');
        if (request.stateMachineArn === undefined) throw validationError('Must provide a StateMachine ARN or MapRun ARN');
        const { stateMachineArn } = machine(request.stateMachineArn);
        const selected = sfn
          .list()
          .filter((e) => e.stateMachineArn === stateMachineArn)
          .filter((e) => request.statusFilter === undefined || e.status === request.statusFilter)
          // Nothing is redriven locally.
          .filter(() => request.redriveFilter !== 'REDRIVEN');
        const page = pageOf(selected, pageSize(request.maxResults), request.nextToken, invalidToken);
        return defined({ executions: page.items.map(listItem), nextToken: page.nextToken });
      },
      GetExecutionHistory: (input) => {
        const request = parseSfnRequest(getExecutionHistorySchema, input);
        const e = execution(request.executionArn);
        const resources = taskResources(machine(e.stateMachineArn));
        const all = historyEvents(e, resources).map(({ timestamp, ...event }) => ({ ...event, timestamp: timestamp / 1000 }));
        const ordered = request.reverseOrder === true ? all.reverse() : all;
        const page = pageOf(ordered, pageSize(request.maxResults), request.nextToken, invalidToken);
        const events =
          request.includeExecutionData === false
            ? page.items.map((event) => Object.fromEntries(Object.entries(event).map(([k, v]) => [k, withoutData(v)])))
            : page.items;
        return defined({ events, nextToken: page.nextToken });
      },
      StopExecution: (input) => {
        const request = parseSfnRequest(stopExecutionSchema, input);
        execution(request.executionArn);
        const stopDate = sfn.stop(request.executionArn, { error: request.error, cause: request.cause }) ?? new Date();
        return { stopDate: stopDate.getTime() / 1000 };
      },
      ListStateMachines: (input) => {
        const request = parseSfnRequest(listStateMachinesSchema, input);
        const page = pageOf(sfn.stateMachines(), pageSize(request.maxResults), request.nextToken, invalidToken);
        return defined({
          stateMachines: page.items.map((m) => ({
            stateMachineArn: m.stateMachineArn,
            name: m.name,
            type: 'STANDARD',
            creationDate: m.creationDate.getTime() / 1000,
          })),
          nextToken: page.nextToken,
        });
      },
      DescribeStateMachine: (input) => {
        const request = parseSfnRequest(describeStateMachineSchema, input);
        const m = machine(request.stateMachineArn);
        return {
          stateMachineArn: m.stateMachineArn,
          name: m.name,
          status: 'ACTIVE',
          definition: JSON.stringify(m.definition),
          roleArn,
          type: 'STANDARD',
          creationDate: m.creationDate.getTime() / 1000,
          loggingConfiguration: { level: 'OFF', includeExecutionData: false },
          tracingConfiguration: { enabled: false },
        };
      },
    },
  });
};

/** includeExecutionData false: a details member without its input and output. */
const withoutData = (value: unknown): unknown => {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const { input: _input, output: _output, ...rest } = value as Record<string, unknown>;
  return rest;
};
