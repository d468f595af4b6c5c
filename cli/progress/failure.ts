/**
 * A failed state's error as a person reads it: the Lambda error's type and message from the Cause that
 * Step Functions carries (`{"errorType": …, "errorMessage": …, "trace": […]}`), without the stack trace,
 * and the S3 prefix a local run uploaded the user's folder to named as that folder.
 */
import { z } from 'zod';

const lambdaCauseSchema = z.object({ errorType: z.string().optional(), errorMessage: z.string() });

/** `EmptyDatasetError: Only 0 usable document(s) …`; a Cause that is not a Lambda error's JSON is shown as it is. */
export const failureMessage = (error: string | undefined, cause: string | undefined): string => {
  const parsed = lambdaCauseSchema.safeParse(parseJson(cause));
  const message = parsed.success ? parsed.data.errorMessage : (cause ?? '');
  const type = error ?? (parsed.success ? parsed.data.errorType : undefined) ?? 'error';
  return message === '' ? type : `${type}: ${message}`;
};

const parseJson = (text: string | undefined): unknown => {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
};

/** Where a local run's documents came from: the S3 prefix (`s3://bucket/uploads/x/`) and the user's folder it holds. */
export interface FolderName {
  prefixUri: string;
  folder: string;
}

/** `message` with the uploaded prefix named as the user's folder (`./x (uploaded to s3://bucket/uploads/x/)`). */
export const nameFolder = (message: string, name: FolderName | undefined): string =>
  name === undefined ? message : message.replaceAll(name.prefixUri, `${name.folder} (uploaded to ${name.prefixUri})`);
