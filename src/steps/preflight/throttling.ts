/** Throttling names of the clients pre-flight uses (ECR, Service Quotas); the SDK exports no classifier of its own. */
import { ThrottlingError } from '../../contracts/errors';

/** AWS error names that mean "slow down" across the SDK clients pre-flight uses. */
const THROTTLING_NAMES = new Set(['ThrottlingException', 'TooManyRequestsException', 'Throttling', 'RequestLimitExceeded']);

/** Rethrows an AWS throttling error (left after the SDK's own retries) as ThrottlingError, which the ASL retries. */
export const rethrowThrottling = (error: unknown, what: string): void => {
  const name = (error as { name?: unknown } | null)?.name;
  if (typeof name === 'string' && THROTTLING_NAMES.has(name)) {
    throw new ThrottlingError(`${what} throttled: ${(error as Error).message}`, { cause: error });
  }
};
