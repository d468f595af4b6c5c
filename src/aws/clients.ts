/**
 * One factory per AWS client, each client built once per process (module scope in the handlers).
 * Endpoints come from the SDK's own configuration (`AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_<SERVICE>`),
 * so a local run differs from AWS only by environment, never by a branch in code.
 *
 * Each client lives in its own module (`./<service>-client`). Lambda handlers (functions/, and what they
 * import from src/) import those modules directly, so a function's bundle holds only the SDK clients it
 * uses: importing this file pulls every client into the bundle (test/unit/template/lambda-bundles.test.ts
 * fails then). The CLI, the local runtime, benchmarks and tests may import all of them from here.
 */
export { dynamoDocumentClient } from './dynamodb-client';
export { ecrClient } from './ecr-client';
export { s3Client } from './s3-client';
export { sageMakerClient } from './sagemaker-client';
export { sfnClient } from './sfn-client';
export { textractClient } from './textract-client';
export { serviceQuotasClient } from './service-quotas-client';
