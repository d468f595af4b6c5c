/**
 * `doctrain local up`: the local AWS on fixed ports until Ctrl-C, with DynamoDB on disk, so the aws CLI,
 * `sls invoke local` and `doctrain status` can all look at the same state.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startLocalServices } from '../local/services';

export const localUp = async (options: { root: string; portBase: number; dataDir: string }): Promise<number> => {
  const services = await startLocalServices({
    root: options.root,
    dataDir: options.dataDir,
    persistent: true,
    ports: { s3: options.portBase, dynamodb: options.portBase + 1, textract: options.portBase + 2, sagemaker: options.portBase + 3 },
  });
  const envFile = path.join(options.dataDir, 'local.env');
  await writeFile(
    envFile,
    Object.entries(services.env)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n') + '\n',
  );
  console.log(`local AWS is up (data in ${options.dataDir}); environment written to ${envFile}:`);
  console.log(
    Object.entries(services.env)
      .map(([k, v]) => `  export ${k}=${v}`)
      .join('\n'),
  );
  console.log(
    `\ntry:\n  aws --endpoint-url ${services.endpoints.s3} s3 ls s3://${services.bucket}/ --recursive\n  aws --endpoint-url ${services.endpoints.dynamodb} dynamodb scan --table-name ${services.tableName}\nCtrl-C to stop.`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await services.close();
  return 0;
};
