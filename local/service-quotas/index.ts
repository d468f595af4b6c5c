/**
 * Local Service Quotas, as much as pre-flight uses: ListServiceQuotas (applied values),
 * ListAWSDefaultServiceQuotas and GetServiceQuota for SageMaker's training-instance quotas, on the AWS
 * JSON 1.1 protocol (a `ServiceQuotasClient` at its endpoint: local/clients.ts). Every ml.g5 type has a spot and an on-demand
 * training quota, default 1 (so local runs train); `setQuota` applies another value (0 rehearses a new
 * account) and `denyAccess` answers AccessDeniedException (an account that does not let us read quotas).
 */
import { createHash } from 'node:crypto';
import * as z from 'zod';
import { G5_INSTANCE_TYPES } from '../../src/contracts/settings';
import { trainingQuotaName } from '../../src/steps/preflight/step';
import { JsonProtocolError, requestParser, startJsonProtocolServer, type JsonObject, type LocalServer } from '../http/json-protocol-server';

export interface LocalServiceQuotas extends LocalServer {
  /** Applies `value` to the quota named `quotaName` (e.g. "ml.g5.xlarge for spot training job usage"). */
  setQuota(quotaName: string, value: number): void;
  /** Every call answers AccessDeniedException while on. */
  denyAccess(on: boolean): void;
}

const parseRequest = requestParser('IllegalArgumentException');

/** The members the emulator reads of the list and get requests (Service Quotas' model: ServiceCode required). */
const listQuotasSchema = z.looseObject({
  ServiceCode: z.string().min(1),
  MaxResults: z.number().int().min(1).max(100).nullish(),
  NextToken: z.string().nullish(),
});
const getQuotaSchema = z.looseObject({ ServiceCode: z.string().min(1), QuotaCode: z.string().min(1) });
const SERVICE_CODE = 'sagemaker';
const PAGE = 100;

/** Local quota codes: stable, shaped like AWS's (`L-` + 8 hex digits), not AWS's own. */
const quotaCode = (name: string): string => `L-${createHash('sha256').update(name).digest('hex').slice(0, 8).toUpperCase()}`;

export const startLocalServiceQuotas = async (
  options: { port?: number; region?: string; account?: string } = {},
): Promise<LocalServiceQuotas> => {
  const region = options.region ?? 'us-east-1';
  const account = options.account ?? '000000000000';
  const defaults = new Map<string, number>(
    G5_INSTANCE_TYPES.flatMap((instanceType) => [true, false].map((spot) => [trainingQuotaName({ instanceType, spot }), 1] as const)),
  );
  const applied = new Map<string, number>();
  let denied = false;
  const quota = (name: string, value: number): JsonObject => ({
    ServiceCode: SERVICE_CODE,
    ServiceName: 'Amazon SageMaker',
    QuotaArn: `arn:aws:servicequotas:${region}:${account}:${SERVICE_CODE}/${quotaCode(name)}`,
    QuotaCode: quotaCode(name),
    QuotaName: name,
    Value: value,
    Unit: 'None',
    Adjustable: true,
    GlobalQuota: false,
  });
  const page = (all: JsonObject[], input: JsonObject): JsonObject => {
    const request = parseRequest(listQuotasSchema, input);
    if (request.ServiceCode !== SERVICE_CODE) {
      throw new JsonProtocolError('NoSuchResourceException', 'The request failed because the specified service does not exist.');
    }
    const size = request.MaxResults ?? PAGE;
    const token = request.NextToken ?? undefined;
    const offset = token === undefined ? 0 : Number.parseInt(token, 10);
    const end = offset + size;
    return { Quotas: all.slice(offset, end), ...(end < all.length ? { NextToken: String(end) } : {}) };
  };
  const server = await startJsonProtocolServer({
    targetPrefix: 'ServiceQuotasV20190624',
    ...(options.port === undefined ? {} : { port: options.port }),
    beforeDispatch: () => {
      if (denied) throw new JsonProtocolError('AccessDeniedException', 'You do not have sufficient access to perform this action.');
    },
    handlers: {
      ListServiceQuotas: (input) =>
        page(
          [...applied].map(([name, value]) => quota(name, value)),
          input,
        ),
      ListAWSDefaultServiceQuotas: (input) =>
        page(
          [...defaults].map(([name, value]) => quota(name, value)),
          input,
        ),
      GetServiceQuota: (input) => {
        const request = parseRequest(getQuotaSchema, input);
        const name = [...defaults.keys()].find((n) => quotaCode(n) === request.QuotaCode);
        if (name === undefined || request.ServiceCode !== SERVICE_CODE) {
          throw new JsonProtocolError('NoSuchResourceException', 'The request failed because the specified resource does not exist.');
        }
        return { Quota: quota(name, applied.get(name) ?? defaults.get(name) ?? 0) };
      },
    },
  });
  return {
    ...server,
    setQuota: (name, value) => {
      if (!defaults.has(name)) throw new Error(`Local Service Quotas: no quota named "${name}"`);
      applied.set(name, value);
    },
    denyAccess: (on) => {
      denied = on;
    },
  };
};
