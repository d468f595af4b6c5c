/**
 * `doctrain local up`: the local AWS on fixed ports until Ctrl-C, with DynamoDB on disk, so the aws CLI,
 * `sls invoke local`, `doctrain status` and `doctrain start` can all look at the same state: the eight
 * services of --port-base .. --port-base+7, Step Functions (local/sfn/) last, running the stage's state
 * machine with the same handlers and clients as `doctrain run`.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startLocalPipeline } from '../local/pipeline';
import { assertPortsFree } from '../local/port-in-use';
import { startLocalSfnServer } from '../local/sfn';

/** The services' ports, in --port-base order: base .. base+7. */
export const localUpPorts = (portBase: number) => ({
  s3: portBase,
  dynamodb: portBase + 1,
  textract: portBase + 2,
  sagemaker: portBase + 3,
  eventbridge: portBase + 4,
  ecr: portBase + 5,
  serviceQuotas: portBase + 6,
  stepFunctions: portBase + 7,
});

export const localUp = async (options: { root: string; portBase: number; dataDir: string }): Promise<number> => {
  const { stepFunctions: sfnPort, ...ports } = localUpPorts(options.portBase);
  // Every port before anything starts: a taken one names itself, and no half-made stage is left.
  await assertPortsFree(Object.values(localUpPorts(options.portBase)));
  const pipeline = await startLocalPipeline({
    root: options.root,
    dataDir: options.dataDir,
    persistent: true,
    owner: 'doctrain local up',
    ports,
  });
  const services = pipeline.services;
  const sfn = await startLocalSfnServer({ stepFunctions: pipeline.stepFunctions, port: sfnPort }).catch(async (error: unknown) => {
    await pipeline.close();
    throw error;
  });
  await services.advertiseStepFunctions(sfn.endpoint);
  const env = { ...services.env, AWS_ENDPOINT_URL_SFN: sfn.endpoint };
  const envFile = path.join(options.dataDir, 'local.env');
  await writeFile(
    envFile,
    Object.entries(env)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n') + '\n',
  );
  console.log(`local AWS is up (data in ${options.dataDir}); environment written to ${envFile}:`);
  console.log(
    Object.entries(env)
      .map(([k, v]) => `  export ${k}=${v}`)
      .join('\n'),
  );
  console.log(
    [
      '\ntry:',
      `  aws --endpoint-url ${services.endpoints.s3} s3 ls s3://${services.bucket}/ --recursive`,
      `  aws --endpoint-url ${services.endpoints.dynamodb} dynamodb scan --table-name ${services.tableName}`,
      `  aws --endpoint-url ${sfn.endpoint} stepfunctions list-executions --state-machine-arn ${pipeline.stepFunctions.stateMachines()[0]?.stateMachineArn ?? '<arn>'}`,
      'Ctrl-C to stop.',
    ].join('\n'),
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await sfn.close();
  await pipeline.close();
  return 0;
};
