import { TextractClient, type TextractClientConfig } from '@aws-sdk/client-textract';
import { TEXTRACT_MAX_ATTEMPTS } from '../textract/throughput';

/** Standard retry mode, jittered backoff on throttling; why not adaptive: src/textract/throughput.ts. */
export const createTextractClient = (config: TextractClientConfig = {}): TextractClient =>
  new TextractClient({ maxAttempts: TEXTRACT_MAX_ATTEMPTS, retryMode: 'standard', ...config });
