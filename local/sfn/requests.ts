/**
 * The Step Functions API requests the local service answers, with the constraints of botocore's
 * stepfunctions model (lengths, ranges, enums: test/unit/local/sfn-model.test.ts checks them against
 * it), refused with its ValidationException message; and the checks the service makes beyond the
 * model: ARNs (InvalidArn), execution names (InvalidName), the input (InvalidExecutionInput).
 */
import { z } from 'zod';
import { awsRequestParser, enumMember, int, member, object, typeError } from '../http/aws-validation';
import { JsonProtocolError } from '../http/json-protocol-server';
import { EXECUTION_STATUSES } from './execution-store';

/** PageSize: 0 is the default page. */
export const PAGE_SIZE = { min: 0, max: 1000 } as const;
export const DEFAULT_PAGE_SIZE = 100;
/** DescribeExecution's and DescribeStateMachine's IncludedData. */
export const INCLUDED_DATA = ['ALL_DATA', 'METADATA_ONLY'] as const;

export const parseSfnRequest = awsRequestParser();

const arn = member(256);
const pageSize = int(PAGE_SIZE.min, PAGE_SIZE.max).optional();
const bool = z.boolean({ error: typeError('a boolean') }).optional();

export const startExecutionSchema = object({
  stateMachineArn: arn,
  name: member(80).optional(),
  input: member(262_144, 0).optional(),
  traceHeader: member(256, 0).optional(),
});
export const describeExecutionSchema = object({ executionArn: arn, includedData: enumMember(INCLUDED_DATA).optional() });
export const listExecutionsSchema = object({
  stateMachineArn: arn.optional(),
  statusFilter: enumMember(EXECUTION_STATUSES).optional(),
  maxResults: pageSize,
  nextToken: member(3096).optional(),
  mapRunArn: member(2000).optional(),
  redriveFilter: enumMember(['REDRIVEN', 'NOT_REDRIVEN']).optional(),
});
export const getExecutionHistorySchema = object({
  executionArn: arn,
  maxResults: pageSize,
  reverseOrder: bool,
  nextToken: member(1024).optional(),
  includeExecutionData: bool,
});
export const stopExecutionSchema = object({ executionArn: arn, error: member(256, 0).optional(), cause: member(32_768, 0).optional() });
export const listStateMachinesSchema = object({ maxResults: pageSize, nextToken: member(1024).optional() });
export const describeStateMachineSchema = object({ stateMachineArn: arn, includedData: enumMember(INCLUDED_DATA).optional() });

const ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:(stateMachine|execution):([^:]+)(?::([^:]+))?$/;

/** `kind`'s ARN, or InvalidArn as Step Functions answers a malformed one or one of another resource type. */
export const checkArn = (value: string, kind: 'stateMachine' | 'execution'): string => {
  const match = ARN.exec(value);
  const wellFormed = match !== null && match[1] === kind && (kind === 'execution') === (match[3] !== undefined);
  if (!wellFormed)
    throw new JsonProtocolError(
      'InvalidArn',
      `Invalid Arn: '${match === null ? 'Invalid ARN prefix' : 'Resource type not valid in this context'}: ${value}'`,
    );
  return value;
};

/** What Step Functions refuses in a name: whitespace, brackets, wildcards, these punctuation marks and control characters. */
const FORBIDDEN_NAME = /[\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]/u;

export const checkName = (name: string): string => {
  if (FORBIDDEN_NAME.test(name)) throw new JsonProtocolError('InvalidName', `Invalid Name: '${name}'`);
  return name;
};

type Json = z.output<ReturnType<typeof z.json>>;

/** The execution input: a JSON text (absent: `{}`), or InvalidExecutionInput. */
export const parseExecutionInput = (input: string | undefined): Json => {
  try {
    return z.json().parse(JSON.parse(input ?? '{}'));
  } catch (error) {
    throw new JsonProtocolError(
      'InvalidExecutionInput',
      `Invalid State Machine Execution Input: '${error instanceof Error ? error.message : String(error)}'`,
    );
  }
};
