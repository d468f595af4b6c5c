/**
 * SageMaker's List* pagination, locally: MaxResults items a page, and a NextToken (opaque to the caller:
 * the offset of the next page) while more remain.
 */
import { validationError } from '../http/aws-validation';

export interface Page<T> {
  items: T[];
  nextToken?: string;
}

/**
 * The page of `items` that `nextToken` (absent: the first) starts, `maxResults` long. A token this did
 * not give is `invalidToken()` (SageMaker's ValidationException; Step Functions says InvalidToken).
 */
export const pageOf = <T>(
  items: readonly T[],
  maxResults: number,
  nextToken: string | undefined,
  invalidToken: () => Error = () => validationError('Invalid NextToken'),
): Page<T> => {
  const offset = nextToken === undefined ? 0 : Number(Buffer.from(nextToken, 'base64url').toString('utf8'));
  if (!Number.isInteger(offset) || offset < 0 || offset > items.length) throw invalidToken();
  const end = offset + maxResults;
  return {
    items: items.slice(offset, end),
    ...(end < items.length ? { nextToken: Buffer.from(String(end)).toString('base64url') } : {}),
  };
};
