/**
 * One local training job: its DescribeTrainingJob state and the run that drives it
 * (Starting -> Downloading -> Training [-> Interrupted -> Starting ... on a simulated spot reclaim]
 *  -> Uploading -> Completed | Failed | Stopped | MaxRuntimeExceeded), following SageMaker's container
 * contract (docs/CONTRACTS.md section 4).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import type { S3Client } from '@aws-sdk/client-s3';
import { downloadFolder, downloadPrefix, FolderSync, isEmptyDir, s3Uri, uploadFile } from './s3-sync';
import { compileMetricRegex, type TrainingJobRequest } from './validate';
import { JOB_LOG_FILE, JOB_STATUS_FILE, type JobStatusFile } from './job-log';

const execFileAsync = promisify(execFile);

export type TrainingJobStatus = 'InProgress' | 'Completed' | 'Failed' | 'Stopping' | 'Stopped';
export type SecondaryStatus =
  | 'Starting'
  | 'Downloading'
  | 'Training'
  | 'Interrupted'
  | 'Uploading'
  | 'Stopping'
  | 'Stopped'
  | 'MaxRuntimeExceeded'
  | 'Completed'
  | 'Failed';

export interface Transition {
  Status: SecondaryStatus;
  StartTime: Date;
  EndTime?: Date;
  StatusMessage: string;
}

export interface RunnerSettings {
  /** The S3 the job's channels, checkpoints and model go through (the local S3). */
  s3: S3Client;
  runner: 'process' | 'docker';
  python: string;
  module: string;
  trainerDir: string;
  workDir: string;
  region: string;
  spotInterruptAfterSeconds?: number;
  spotInterruptAfterFirstCheckpoint: boolean;
  checkpointSyncSeconds: number;
  stopTimeoutSeconds: number;
  /** The docker image for a TrainingImage (default: the TrainingImage itself). */
  dockerImage?: (trainingImage: string) => string;
  /**
   * Job seconds per real second (default 1): a long job rehearsed in little time. MaxRuntimeInSeconds, the
   * spot interruption moment and the spot restart delay are job seconds; DescribeTrainingJob reports times
   * and durations on the job's clock (local/sagemaker/index.ts).
   */
  timeScale: number;
  /** Job seconds a reclaimed spot job waits for new capacity (Interrupted, not billed) before it restarts. */
  spotRestartDelaySeconds: number;
  /** Told each line of the trainer's output as it arrives, and each secondary status change, as they happen. */
  onOutput?: (output: TrainingJobOutput) => void;
}

/** What a running job tells as it happens (LocalSageMaker.onOutput): a line of the trainer's output, or a status change. */
export type TrainingJobOutput =
  | { type: 'line'; jobName: string; line: string }
  | { type: 'status'; jobName: string; status: TrainingJobStatus; secondaryStatus: SecondaryStatus; message: string };

/** Failures that end the job with exactly this FailureReason. */
class JobFailure extends Error {}

const TERMINAL: ReadonlySet<SecondaryStatus> = new Set(['Completed', 'Failed', 'Stopped', 'MaxRuntimeExceeded']);
const FAILURE_REASON_MAX = 1024; // DescribeTrainingJob's FailureReason length limit

interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  spawnError?: Error;
}

export class TrainingJob {
  public status: TrainingJobStatus = 'InProgress';
  public secondaryStatus: SecondaryStatus = 'Starting';
  public readonly transitions: Transition[] = [];
  public failureReason: string | undefined;
  public modelArtifacts: string | undefined;
  public readonly metrics = new Map<string, { Value: number; Timestamp: Date }>();
  public readonly creationTime = new Date();
  public lastModifiedTime = this.creationTime;
  public trainingStartTime: Date | undefined;
  public trainingEndTime: Date | undefined;
  /** Resolves when the run has finished (whatever its outcome). */
  public done: Promise<void> = Promise.resolve();

  private child: ChildProcess | undefined;
  private killTimer: NodeJS.Timeout | undefined;
  private stopRequested = false;
  private maxRuntimeHit = false;
  private interrupting = false;
  private closed = false;
  /** Real milliseconds spent Interrupted (waiting for spot capacity): not billed. */
  private unbilledMs = 0;
  private log: WriteStream | undefined;
  /** The job folder exists (prepare made it): status.json can be written there. */
  private jobDirReady = false;
  /** status.json writes, one after the other, so the newest status is the one left. */
  private statusWrites: Promise<void> = Promise.resolve();
  private readonly metricRegexes: { name: string; regex: RegExp }[];

  public constructor(
    public readonly request: TrainingJobRequest,
    public readonly arn: string,
    private readonly settings: RunnerSettings,
    private readonly capacityFailure: boolean,
  ) {
    this.metricRegexes = request.metricDefinitions.map((m) => ({ name: m.Name, regex: compileMetricRegex(m.Regex) }));
    this.transition('Starting', 'Starting the training job');
  }

  public get jobDir(): string {
    return path.join(this.settings.workDir, this.request.name);
  }
  private get optMl(): string {
    return path.join(this.jobDir, 'opt', 'ml');
  }

  public start(): void {
    this.done = this.run().catch(() => undefined);
  }

  // ---- state -------------------------------------------------------------------------------------------

  private transition(status: SecondaryStatus, message: string): void {
    const now = new Date();
    const previous = this.transitions.at(-1);
    if (previous !== undefined && previous.EndTime === undefined) previous.EndTime = now;
    this.transitions.push({ Status: status, StartTime: now, StatusMessage: message, ...(TERMINAL.has(status) ? { EndTime: now } : {}) });
    this.secondaryStatus = status;
    this.lastModifiedTime = now;
    this.settings.onOutput?.({ type: 'status', jobName: this.request.name, status: this.status, secondaryStatus: status, message });
    // A terminal status is written once the log is complete (run's finally), so a reader that sees it has every line.
    if (!TERMINAL.has(status)) this.writeStatusFile();
  }

  /** `<jobDir>/status.json`: the job's status for a reader in another process (job-log.ts, `doctrain logs --follow`). */
  private writeStatusFile(): void {
    if (!this.jobDirReady) return;
    const file: JobStatusFile = {
      jobName: this.request.name,
      status: this.status,
      secondaryStatus: this.secondaryStatus,
      serverClosed: this.closed,
      updatedAt: new Date().toISOString(),
    };
    const target = path.join(this.jobDir, JOB_STATUS_FILE);
    this.statusWrites = this.statusWrites
      .then(async () => {
        await writeFile(`${target}.tmp`, `${JSON.stringify(file)}\n`);
        await rename(`${target}.tmp`, target);
      })
      .catch(() => undefined);
  }

  private finish(status: 'Completed' | 'Failed' | 'Stopped', secondary: SecondaryStatus, message: string): void {
    if (this.trainingStartTime !== undefined) this.trainingEndTime = new Date();
    this.status = status;
    this.transition(secondary, message);
  }

  /** Job seconds between TrainingStartTime and TrainingEndTime (SageMaker reports whole seconds). */
  public get trainingSeconds(): number | undefined {
    if (this.trainingStartTime === undefined || this.trainingEndTime === undefined) return undefined;
    return Math.max(1, Math.round(((this.trainingEndTime.getTime() - this.trainingStartTime.getTime()) / 1000) * this.settings.timeScale));
  }

  /**
   * Job seconds billed: training time less the time spent Interrupted waiting for spot capacity, as
   * managed spot training bills only while an instance runs the job.
   */
  public get billableSeconds(): number | undefined {
    const training = this.trainingSeconds;
    if (training === undefined) return undefined;
    return Math.max(1, training - Math.round((this.unbilledMs / 1000) * this.settings.timeScale));
  }

  /** Real milliseconds for `jobSeconds` on the job's clock. */
  private realMs(jobSeconds: number): number {
    return (jobSeconds * 1000) / this.settings.timeScale;
  }

  // ---- control -----------------------------------------------------------------------------------------

  /** StopTrainingJob: SIGTERM the trainer (or abandon the preparation); the run ends as Stopped. */
  public stop(): void {
    if (this.stopRequested) return;
    this.stopRequested = true;
    this.status = 'Stopping';
    this.transition('Stopping', 'Stopping the training job');
    this.terminate();
  }

  /** Server shutdown: kill the trainer now and let the run end without touching S3. */
  public async close(): Promise<void> {
    this.closed = true;
    this.terminate(2);
    await Promise.race([this.done, new Promise((r) => setTimeout(r, 5000).unref())]);
    this.log?.end();
  }

  /** SIGTERM, then SIGKILL after the grace period (SageMaker gives 120 s). */
  private terminate(graceSeconds = this.settings.stopTimeoutSeconds): void {
    const child = this.child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    clearTimeout(this.killTimer);
    this.killTimer = setTimeout(() => child.kill('SIGKILL'), graceSeconds * 1000);
    this.killTimer.unref();
  }

  private checkAborted(): boolean {
    return this.closed || this.stopRequested;
  }

  // ---- the run -----------------------------------------------------------------------------------------

  private async run(): Promise<void> {
    try {
      await new Promise((r) => setTimeout(r, 10)); // CreateTrainingJob answers before anything happens
      if (this.capacityFailure) {
        throw new JobFailure(
          'CapacityError: Unable to provision requested ML compute capacity. Please retry using a different ML instance type.',
        );
      }
      if (this.closed) return;
      if (this.stopRequested) return this.finish('Stopped', 'Stopped', 'Training job stopped');
      this.trainingStartTime = new Date();
      await this.prepare();
      const checkpointSync =
        this.request.checkpoint !== undefined
          ? new FolderSync(this.settings.s3, path.join(this.optMl, 'checkpoints'), this.request.checkpoint)
          : undefined;

      let exit: ExitInfo | undefined;
      let interrupted = false;
      for (;;) {
        if (this.closed) return;
        if (this.stopRequested) break;
        this.transition('Training', 'Training image download completed. Training in progress.');
        exit = await this.runTrainer(checkpointSync, !interrupted);
        if (this.closed) return;
        await checkpointSync?.sync();
        if (this.interrupting && !this.stopRequested && !this.maxRuntimeHit) {
          // Simulated spot reclaim: a fresh "instance" (empty model/checkpoint dirs), checkpoints restored from S3.
          interrupted = true;
          this.interrupting = false;
          this.transition('Interrupted', 'Training job interrupted: the spot instance was reclaimed (simulated)');
          const waitingSince = Date.now();
          await new Promise((r) => setTimeout(r, this.realMs(this.settings.spotRestartDelaySeconds)));
          this.unbilledMs += Date.now() - waitingSince;
          if (this.closed) return;
          this.transition('Starting', 'Restarting the training job on a new spot instance');
          await this.resetInstance();
          continue;
        }
        break;
      }
      if (this.closed) return;
      if (this.stopRequested || this.maxRuntimeHit) {
        // SageMaker keeps whatever the algorithm saved in the SIGTERM grace window.
        await this.uploadModel(false);
        return this.maxRuntimeHit && !this.stopRequested
          ? this.finish('Stopped', 'MaxRuntimeExceeded', 'Job stopped because it exceeded MaxRuntimeInSeconds')
          : this.finish('Stopped', 'Stopped', 'Training job stopped');
      }
      if (exit === undefined) throw new Error('trainer never ran'); // unreachable: only a stop skips the run
      const { code, signal, spawnError } = exit;
      if (spawnError !== undefined) throw new JobFailure(`AlgorithmError: could not start the trainer: ${spawnError.message}`);
      if (code === 0) {
        this.transition('Uploading', 'Uploading generated training model');
        await this.uploadModel(true);
        return this.finish('Completed', 'Completed', 'Training job completed');
      }
      throw new JobFailure(await this.failureReasonFor(code, signal));
    } catch (error) {
      if (this.closed) return;
      const reason =
        error instanceof JobFailure ? error.message : `InternalServerError: ${error instanceof Error ? error.message : String(error)}`;
      this.failureReason = reason.slice(0, FAILURE_REASON_MAX);
      this.finish('Failed', 'Failed', `Training job failed. ${this.failureReason}`);
    } finally {
      clearTimeout(this.killTimer);
      await new Promise<void>((resolve) => (this.log ? this.log.end(resolve) : resolve()));
      this.writeStatusFile();
      await this.statusWrites;
    }
  }

  private async failureReasonFor(code: number | null, signal: NodeJS.Signals | null): Promise<string> {
    const failure = await readFile(path.join(this.optMl, 'output', 'failure'), 'utf8').catch(() => '');
    if (failure.trim() !== '') return failure.trim();
    return code !== null ? `AlgorithmError: exit code ${code}` : `AlgorithmError: trainer killed by signal ${signal ?? 'unknown'}`;
  }

  /** Downloading: /opt/ml layout, config files, channels, checkpoints. */
  private async prepare(): Promise<void> {
    this.transition('Downloading', 'Downloading input data');
    await rm(this.jobDir, { recursive: true, force: true }); // a stale folder from an earlier server run
    await mkdir(this.jobDir, { recursive: true });
    this.log = createWriteStream(path.join(this.jobDir, JOB_LOG_FILE), { flags: 'a' });
    this.jobDirReady = true;
    this.writeStatusFile();
    const configDir = path.join(this.optMl, 'input', 'config');
    await mkdir(configDir, { recursive: true });
    await this.makeInstanceDirs();

    const { request } = this;
    const root = this.containerRoot;
    const write = (name: string, value: unknown) => writeFile(path.join(configDir, name), `${JSON.stringify(value, null, 2)}\n`);
    await write('hyperparameters.json', request.hyperParameters);
    await write(
      'inputdataconfig.json',
      Object.fromEntries(
        request.channels.map((c) => [
          c.ChannelName,
          {
            TrainingInputMode: 'File',
            S3DistributionType: 'FullyReplicated',
            RecordWrapperType: 'None',
            ...(c.ContentType !== undefined ? { ContentType: c.ContentType } : {}),
          },
        ]),
      ),
    );
    await write('resourceconfig.json', {
      current_host: 'algo-1',
      current_instance_type: request.instanceType,
      current_group_name: 'homogeneousCluster',
      hosts: ['algo-1'],
      instance_groups: [{ instance_group_name: 'homogeneousCluster', instance_type: request.instanceType, hosts: ['algo-1'] }],
      network_interface_name: 'eth0',
    });
    if (request.checkpoint !== undefined) {
      await write('checkpointconfig.json', { LocalPath: `${root}/checkpoints`, S3Uri: s3Uri(request.checkpoint) });
    }

    for (const channel of request.channels) {
      if (this.checkAborted()) return;
      const dir = path.join(this.optMl, 'input', 'data', channel.ChannelName);
      await mkdir(dir, { recursive: true });
      const count = await downloadPrefix(this.settings.s3, channel.s3, dir);
      if (count === 0) {
        throw new JobFailure(
          `ClientError: No S3 objects found under S3 URL "${s3Uri(channel.s3)}" given in input data source. ` +
            'Please ensure that the bucket exists in the selected region, that objects exist under that S3 prefix, ' +
            'and that the role has "s3:ListBucket" permissions on the bucket.',
        );
      }
    }
    await this.restoreCheckpoints();
  }

  private async makeInstanceDirs(): Promise<void> {
    for (const dir of ['model', 'checkpoints', path.join('output', 'data')]) {
      await mkdir(path.join(this.optMl, dir), { recursive: true });
    }
  }

  private async restoreCheckpoints(): Promise<void> {
    if (this.request.checkpoint === undefined || this.checkAborted()) return;
    await downloadFolder(this.settings.s3, this.request.checkpoint, path.join(this.optMl, 'checkpoints'));
  }

  /** A new spot instance: nothing local survives but the input data; checkpoints come back from S3. */
  private async resetInstance(): Promise<void> {
    for (const dir of ['model', 'checkpoints', 'output']) await rm(path.join(this.optMl, dir), { recursive: true, force: true });
    await this.makeInstanceDirs();
    this.transition('Downloading', 'Downloading input data and restoring checkpoints');
    await this.restoreCheckpoints();
  }

  /** `/opt/ml` as the trainer sees it. */
  private get containerRoot(): string {
    return this.settings.runner === 'docker' ? '/opt/ml' : this.optMl;
  }

  private trainerEnv(): Record<string, string> {
    const root = this.containerRoot;
    const { request } = this;
    return {
      ...request.environment,
      SM_MODEL_DIR: `${root}/model`,
      SM_OUTPUT_DATA_DIR: `${root}/output/data`,
      SM_CHECKPOINT_DIR: `${root}/checkpoints`,
      SM_HPS: JSON.stringify(request.hyperParameters),
      SM_CURRENT_HOST: 'algo-1',
      SM_HOSTS: JSON.stringify(['algo-1']),
      SM_CURRENT_INSTANCE_TYPE: request.instanceType,
      SM_CHANNELS: JSON.stringify(request.channels.map((c) => c.ChannelName)),
      TRAINING_JOB_NAME: request.name,
      TRAINING_JOB_ARN: this.arn,
      AWS_REGION: this.settings.region,
      PYTHONUNBUFFERED: '1',
      ...Object.fromEntries(
        request.channels.map((c) => [`SM_CHANNEL_${c.ChannelName.toUpperCase()}`, `${root}/input/data/${c.ChannelName}`]),
      ),
    };
  }

  private spawnTrainer(): ChildProcess {
    const env = this.trainerEnv();
    if (this.settings.runner === 'docker') {
      const args = ['run', '--rm', '--name', `doctrain-${this.request.name}-${process.pid}`, '-v', `${this.optMl}:/opt/ml`];
      for (const [k, v] of Object.entries(env)) args.push('-e', `${k}=${v}`);
      args.push(this.settings.dockerImage?.(this.request.trainingImage) ?? this.request.trainingImage, 'train');
      return spawn('docker', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    }
    const { trainerDir } = this.settings;
    const pythonPath = [trainerDir, process.env['PYTHONPATH']].filter((p) => p !== undefined && p !== '').join(path.delimiter);
    return spawn(this.settings.python, ['-m', this.settings.module, 'train'], {
      cwd: trainerDir,
      env: { ...PROCESS_THREAD_DEFAULTS, ...process.env, ...env, PYTHONPATH: pythonPath, DOCTRAIN_OPT_ML: this.optMl },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  }

  private onLine(line: string): void {
    this.log?.write(`${line}\n`);
    this.settings.onOutput?.({ type: 'line', jobName: this.request.name, line });
    for (const { name, regex } of this.metricRegexes) {
      const value = regex.exec(line)?.[1];
      if (value === undefined) continue;
      const parsed = Number.parseFloat(value);
      if (Number.isFinite(parsed)) this.metrics.set(name, { Value: parsed, Timestamp: new Date() });
    }
  }

  /** Run the trainer once, with the checkpoint sync, MaxRuntime and spot-interruption timers around it. */
  private async runTrainer(checkpointSync: FolderSync | undefined, mayInterrupt: boolean): Promise<ExitInfo> {
    const timers: NodeJS.Timeout[] = [];
    try {
      const child = this.spawnTrainer();
      this.child = child;
      const exited = new Promise<ExitInfo>((resolve) => {
        child.once('error', (spawnError) => resolve({ code: null, signal: null, spawnError }));
        child.once('close', (code, signal) => resolve({ code, signal }));
      });
      for (const stream of [child.stdout, child.stderr]) {
        if (stream !== null) createInterface({ input: stream, crlfDelay: Infinity }).on('line', (l) => this.onLine(l));
      }
      if (checkpointSync !== undefined) {
        timers.push(setInterval(() => void checkpointSync.sync().catch(() => undefined), this.settings.checkpointSyncSeconds * 1000));
      }
      const started = this.trainingStartTime?.getTime() ?? Date.now();
      const remainingMs = started + this.realMs(this.request.maxRuntimeSeconds) - Date.now();
      timers.push(
        setTimeout(
          () => {
            this.maxRuntimeHit = true;
            this.terminate();
          },
          Math.max(0, remainingMs),
        ),
      );
      const after = this.settings.spotInterruptAfterSeconds;
      if (this.request.spot && mayInterrupt && after !== undefined) {
        timers.push(
          setTimeout(() => {
            this.interrupting = true;
            this.terminate();
          }, this.realMs(after)),
        );
      }
      if (this.request.spot && mayInterrupt && this.settings.spotInterruptAfterFirstCheckpoint) {
        const checkpoints = path.join(this.optMl, 'checkpoints');
        const poll = setInterval(() => {
          void hasCompleteCheckpoint(checkpoints).then((found) => {
            if (!found || this.interrupting) return;
            clearInterval(poll);
            this.interrupting = true;
            this.terminate();
          });
        }, 50);
        timers.push(poll);
      }
      if (this.stopRequested) this.terminate(); // a stop that raced the spawn
      return await exited;
    } finally {
      for (const t of timers) clearTimeout(t);
      this.child = undefined;
    }
  }

  /** tar.gz the model folder with the system tar and upload it to `<S3OutputPath>/<job>/output/model.tar.gz`. */
  private async uploadModel(always: boolean): Promise<void> {
    const modelDir = path.join(this.optMl, 'model');
    if (!always && (await isEmptyDir(modelDir))) return;
    const entries = await readdir(modelDir).catch(() => []);
    const tarball = path.join(this.jobDir, 'model.tar.gz');
    // Entries by name (not `.`), so the archive holds `model.pt`, not `./model.pt`, as SageMaker's does.
    await execFileAsync('tar', ['-czf', tarball, '-C', modelDir, ...(entries.length > 0 ? ['--', ...entries] : ['-T', '/dev/null'])]);
    const { output, name } = this.request;
    const base = output.key.replace(/\/+$/, '');
    const key = `${base === '' ? '' : `${base}/`}${name}/output/model.tar.gz`;
    await uploadFile(this.settings.s3, tarball, output.bucket, key);
    this.modelArtifacts = `s3://${output.bucket}/${key}`;
  }
}

/**
 * Thread pools of the trainer when it runs as a local process: one OpenMP (torch intra-op) and one OpenBLAS
 * thread. Measured with `npm run bench:train` (compact backend, 2 cores shared and loaded): 33x the training
 * samples/s for a fifth of the CPU seconds and the same model, since OpenMP's spinning threads otherwise fight
 * the other processes for the cores. Values exported in the environment win (process.env is spread after these).
 */
const PROCESS_THREAD_DEFAULTS = { OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1' } as const;

/** True once any `slot-*` folder under `dir` holds the trainer's manifest (its completion marker). */
const hasCompleteCheckpoint = async (dir: string): Promise<boolean> => {
  const entries = await readdir(dir).catch(() => [] as string[]);
  for (const entry of entries) {
    // The trainer's slots (training-image/doctrain_trainer/checkpoint.py): manifest.json is written last.
    if (!entry.startsWith('slot-')) continue;
    if (
      await stat(path.join(dir, entry, 'manifest.json')).then(
        () => true,
        () => false,
      )
    )
      return true;
  }
  return false;
};
