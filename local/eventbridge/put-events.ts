/**
 * PutEvents as EventBridge judges it. A request that breaks the service model (no Entries, more than 10,
 * a bad EventBusName, entries over the size limit) is refused whole with a ValidationException; within a
 * valid request each entry is accepted or failed on its own (Source, DetailType and Detail required,
 * Detail a JSON object), and the answer lists a verdict per entry, in order.
 */
import { z } from 'zod';
import { awsRequestParser, list, member, object, patterned, validationError } from '../http/aws-validation';

/** EventBridge's limit on the total size of a request's entries ("less than 1MB", the PutEvents docs). */
export const MAX_ENTRIES_BYTES = 1024 * 1024;
/** The most characters of a DetailType (the PutEventsRequestEntry docs). */
export const MAX_DETAIL_TYPE_LENGTH = 128;

const BUS_NAME_OR_ARN = '(arn:aws[\\w-]*:events:[a-z]+-[a-z]+-[\\w-]+:[0-9]{12}:event-bus\\/)?[\\.\\-_A-Za-z0-9]+';

const entrySchema = object({
  /** Epoch seconds, as the JSON protocol sends timestamps. */
  Time: z.number({ error: 'Member must be a timestamp' }).optional(),
  Source: z.string().optional(),
  Resources: list(member(2048, 0)).optional(),
  DetailType: z.string().optional(),
  Detail: z.string().optional(),
  EventBusName: patterned(1600, 1, BUS_NAME_OR_ARN).optional(),
  TraceHeader: member(500, 1).optional(),
});
type Entry = z.output<typeof entrySchema>;

/** The PutEvents request (botocore's events model, 2015-10-07). */
const putEventsSchema = object({
  Entries: list(entrySchema, 10, 1),
  EndpointId: patterned(50, 1, '^[A-Za-z0-9\\-]+[\\.][A-Za-z0-9\\-]+$').optional(),
});

/** An entry EventBridge takes: its members, Detail parsed. */
export interface AcceptedEntry {
  source: string;
  detailType: string;
  detail: Record<string, unknown>;
  resources: string[];
  /** Epoch milliseconds, when the entry set its Time. */
  time?: number;
  eventBusName: string;
}

/** A failed entry, as the PutEvents answer lists it. */
export interface FailedEntry {
  ErrorCode: string;
  ErrorMessage: string;
}

const parseRequest = awsRequestParser();

const required = (member: string): FailedEntry => ({
  ErrorCode: 'InvalidArgument',
  ErrorMessage: `Parameter ${member} is not valid. Reason: ${member} is a required argument.`,
});
const MALFORMED_DETAIL: FailedEntry = { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };

/** An entry's size as EventBridge counts it: Time 14 bytes, and the UTF-8 bytes of Source, DetailType, Detail and each resource. */
const entryBytes = (entry: Entry): number =>
  (entry.Time === undefined ? 0 : 14) +
  [entry.Source, entry.DetailType, entry.Detail, ...(entry.Resources ?? [])].reduce(
    (sum, text) => sum + (text === undefined ? 0 : Buffer.byteLength(text, 'utf8')),
    0,
  );

const detailSchema = z.record(z.string(), z.unknown());
const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};

const judge = (entry: Entry): AcceptedEntry | FailedEntry => {
  if (!entry.Source) return required('Source');
  if (!entry.DetailType) return required('DetailType');
  if (!entry.Detail) return required('Detail');
  if (entry.DetailType.length > MAX_DETAIL_TYPE_LENGTH) {
    return {
      ErrorCode: 'InvalidArgument',
      ErrorMessage: `Parameter DetailType is not valid. Reason: DetailType is longer than ${MAX_DETAIL_TYPE_LENGTH} characters.`,
    };
  }
  const detail = detailSchema.safeParse(parseJson(entry.Detail));
  if (!detail.success) return MALFORMED_DETAIL;
  const bus = entry.EventBusName ?? 'default';
  return {
    source: entry.Source,
    detailType: entry.DetailType,
    detail: detail.data,
    resources: entry.Resources ?? [],
    ...(entry.Time === undefined ? {} : { time: entry.Time * 1000 }),
    eventBusName: bus.slice(bus.lastIndexOf('/') + 1),
  };
};

/** The verdict on each entry of a PutEvents request, in order; a request EventBridge refuses whole throws its ValidationException. */
export const judgePutEvents = (input: unknown): (AcceptedEntry | FailedEntry)[] => {
  const request = parseRequest(putEventsSchema, input);
  if (request.Entries.reduce((sum, entry) => sum + entryBytes(entry), 0) >= MAX_ENTRIES_BYTES) {
    throw validationError('Total size of the entries in the request is over the limit.');
  }
  return request.Entries.map(judge);
};

export const isFailed = <T extends object>(verdict: T | FailedEntry): verdict is FailedEntry => 'ErrorCode' in verdict;
