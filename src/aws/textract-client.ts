import { TextractClient } from '@aws-sdk/client-textract';
import { TEXTRACT_MAX_ATTEMPTS } from '../textract/throughput';
import { memo } from './memo';

/** Standard retry mode, jittered backoff on throttling; why not adaptive: src/textract/throughput.ts. */
export const textractClient = memo(() => new TextractClient({ maxAttempts: TEXTRACT_MAX_ATTEMPTS, retryMode: 'standard' }));
