/**
 * Lean Lambdas: what each deployed function weighs and how long its cold import takes, bundled (the .mjs in
 * its zip, as Lambda loads it) versus unbundled (the same handler with its dependencies loaded from
 * node_modules, as `node` runs the source).
 *
 *   npm run bench:lambdas                                  packages first (sls package, a few seconds)
 *   BENCH_LAMBDAS_PACKAGE=.serverless npm run bench:lambdas   reuses an existing `sls package` output
 *
 * 1. `sls package --stage dev --region us-east-1 --package .doctrain/bench/lambdas/package` (unless
 *    BENCH_LAMBDAS_PACKAGE names a folder that holds a package already);
 * 2. per function (from the packaged template): the zip's size, its files, the AWS SDK clients its bundle
 *    holds; the handler .mjs is extracted to a temporary folder outside the repository, so its import can
 *    resolve nothing from node_modules;
 * 3. the unbundled side: the handler's own TypeScript compiled by esbuild with every package left external
 *    (`packages: 'external'`), written under .doctrain/, so Node loads each dependency from node_modules
 *    the way it does for `node`/`tsx` runs (for the AWS SDK: its CommonJS build, its `main`);
 * 4. BENCH_LAMBDAS_ROUNDS (default 7) rounds; each round imports every function's bundled and unbundled
 *    handler, in alternating order, each in a fresh `node` process that times `await import(handler)`
 *    (Node's own start-up is outside the timing, equal for both): wall-clock time, and the CPU time the
 *    process spent meanwhile (steadier on a loaded machine). Median per side, ratio bundled / unbundled.
 *
 * Checks (exit 1 when one fails): each zip holds exactly one file, its handler `.mjs`, and no source map.
 * Goals are reported, not asserted (timings depend on the machine and its load): zip <= 350 KB, bundled
 * import <= 0.4x the unbundled one. Output: a Markdown table on stdout, JSON in
 * .doctrain/bench/lambdas.json (BENCH_OUT to change it).
 */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import * as esbuild from 'esbuild';
import { readPackagedLambdas, sdkServiceIds, zipEntryBytes, CREDENTIAL_CHAIN_SERVICE_IDS, type PackagedLambda } from './lambda-zips';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const WORK_DIR = path.join(ROOT, '.doctrain', 'bench', 'lambdas');
const OUT_FILE = path.resolve(ROOT, process.env['BENCH_OUT'] ?? path.join('.doctrain', 'bench', 'lambdas.json'));
const ROUNDS = Number(process.env['BENCH_LAMBDAS_ROUNDS'] ?? 7);
const ZIP_GOAL_BYTES = 350_000;
const IMPORT_RATIO_GOAL = 0.4;
/** What the handlers read from the environment at import time (the run store's table), plus a region. */
const HANDLER_ENV = {
  AWS_REGION: 'us-east-1',
  DOCTRAIN_TABLE: 'doctrain-bench-runs',
  DOCTRAIN_BUCKET: 'doctrain-bench',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};

const execFileAsync = promisify(execFile);

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? NaN) : ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2;
};
const round = (value: number, digits = 1): number => Number(value.toFixed(digits));

const packageService = async (): Promise<string> => {
  const reuse = process.env['BENCH_LAMBDAS_PACKAGE'];
  if (reuse !== undefined && reuse !== '') {
    const dir = path.resolve(ROOT, reuse);
    if (!existsSync(path.join(dir, 'cloudformation-template-update-stack.json'))) {
      throw new Error(`BENCH_LAMBDAS_PACKAGE=${reuse}: no cloudformation-template-update-stack.json there; run npm run package first`);
    }
    return dir;
  }
  const dir = path.join(WORK_DIR, 'package');
  await rm(dir, { recursive: true, force: true });
  console.error(`sls package --stage dev --region us-east-1 --package ${path.relative(ROOT, dir)} ...`);
  await execFileAsync('npx', ['sls', 'package', '--stage', 'dev', '--region', 'us-east-1', '--package', dir], {
    cwd: ROOT,
    maxBuffer: 16 * 1024 * 1024,
    env: { ...process.env, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off' },
  });
  return dir;
};

/** The handler's own code compiled, its packages left to Node's resolution from the repository. */
const buildUnbundled = async (lambda: PackagedLambda): Promise<string> => {
  const outfile = path.join(WORK_DIR, 'unbundled', `${lambda.handlerModule}.mjs`);
  await esbuild.build({
    entryPoints: [path.join(ROOT, `${lambda.handlerModule}.ts`)],
    outfile,
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'error',
  });
  return outfile;
};

interface ImportTime {
  /** Wall-clock milliseconds: what a cold start waits. */
  ms: number;
  /** CPU milliseconds (user + system, all threads) spent meanwhile: less sensitive to a loaded machine. */
  cpuMs: number;
}

/** How long `await import(file)` takes in a fresh node process. */
const coldImport = (file: string): ImportTime => {
  const script = [
    'const t = performance.now(); const c = process.cpuUsage();',
    'await import(process.argv.at(-1));',
    'const used = process.cpuUsage(c);',
    'console.log(JSON.stringify({ ms: performance.now() - t, cpuMs: (used.user + used.system) / 1000 }));',
  ].join(' ');
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script, pathToFileURL(file).href], {
    env: { PATH: process.env['PATH'] ?? '', ...HANDLER_ENV },
    encoding: 'utf8',
  });
  if (child.status !== 0) throw new Error(`importing ${file} failed:\n${child.stderr}`);
  return JSON.parse(child.stdout.trim().split('\n').at(-1) ?? '') as ImportTime;
};

interface Row {
  functionName: string;
  zipBytes: number;
  files: string[];
  sdkClients: string[];
  bundled: ImportTime[];
  unbundled: ImportTime[];
}

const main = async (): Promise<void> => {
  const packageDir = await packageService();
  const lambdas = await readPackagedLambdas(packageDir);
  if (lambdas.length === 0) throw new Error(`no AWS::Lambda::Function in ${packageDir}`);
  const extractDir = await mkdtemp(path.join(os.tmpdir(), 'doctrain-bench-lambdas-'));
  const failures: string[] = [];
  try {
    const sides = await Promise.all(
      lambdas.map(async (lambda) => {
        const expected = `${lambda.handlerModule}.mjs`;
        if (lambda.entries.length !== 1 || lambda.entries[0] !== expected) {
          failures.push(`${lambda.functionName}.zip holds ${JSON.stringify(lambda.entries)}, expected only ${expected}`);
        }
        const code = await zipEntryBytes(lambda.zipPath, expected);
        const bundled = path.join(extractDir, lambda.functionName, path.basename(expected));
        await mkdir(path.dirname(bundled), { recursive: true });
        await writeFile(bundled, code);
        return { lambda, bundled, unbundled: await buildUnbundled(lambda), sdkClients: sdkServiceIds(code.toString('utf8')) };
      }),
    );
    for (const { lambda } of sides) {
      const maps = lambda.entries.filter((entry) => entry.endsWith('.map'));
      if (maps.length > 0) failures.push(`${lambda.functionName}.zip ships source maps: ${maps.join(', ')}`);
    }
    const rows: Row[] = sides.map(({ lambda, sdkClients }) => ({
      functionName: lambda.functionName,
      zipBytes: lambda.zipBytes,
      files: [...lambda.entries],
      sdkClients: sdkClients.filter((id) => !CREDENTIAL_CHAIN_SERVICE_IDS.includes(id)),
      bundled: [],
      unbundled: [],
    }));
    for (let r = 0; r < ROUNDS; r++) {
      console.error(`round ${r + 1}/${ROUNDS}`);
      sides.forEach((side, i) => {
        const row = rows[i] as Row;
        // Alternate which side goes first, so drift in the machine's load hits both alike.
        const order = (r + i) % 2 === 0 ? (['bundled', 'unbundled'] as const) : (['unbundled', 'bundled'] as const);
        for (const which of order) row[which].push(coldImport(side[which]));
      });
    }
    const summary = rows.map((row) => {
      const of = (times: ImportTime[], key: keyof ImportTime): number => median(times.map((t) => t[key]));
      const [bundled, unbundled] = [of(row.bundled, 'ms'), of(row.unbundled, 'ms')];
      const [bundledCpu, unbundledCpu] = [of(row.bundled, 'cpuMs'), of(row.unbundled, 'cpuMs')];
      return {
        function: row.functionName,
        zipBytes: row.zipBytes,
        zipGoalMet: row.zipBytes <= ZIP_GOAL_BYTES,
        files: row.files,
        sdkClients: row.sdkClients,
        bundledImportMs: round(bundled),
        unbundledImportMs: round(unbundled),
        ratio: round(bundled / unbundled, 2),
        bundledImportCpuMs: round(bundledCpu),
        unbundledImportCpuMs: round(unbundledCpu),
        cpuRatio: round(bundledCpu / unbundledCpu, 2),
        ratioGoalMet: bundled / unbundled <= IMPORT_RATIO_GOAL,
        samples: { bundled: row.bundled, unbundled: row.unbundled },
      };
    });
    console.log(
      `\n## Lambda zips and cold imports (${ROUNDS} rounds, median; node ${process.version}, ${os.cpus().length} CPUs, load ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')})\n`,
    );
    console.log(
      '| function | zip KB | <= 350 KB | SDK clients | import ms bundled / unbundled | ratio | <= 0.4x | CPU ms bundled / unbundled | CPU ratio |',
    );
    console.log('| --- | ---: | :---: | --- | ---: | ---: | :---: | ---: | ---: |');
    for (const s of summary) {
      console.log(
        `| ${s.function} | ${round(s.zipBytes / 1000)} | ${s.zipGoalMet ? 'yes' : 'NO'} | ${s.sdkClients.join(', ') || '(none)'} | ` +
          `${s.bundledImportMs} / ${s.unbundledImportMs} | ${s.ratio} | ${s.ratioGoalMet ? 'yes' : 'NO'} | ` +
          `${s.bundledImportCpuMs} / ${s.unbundledImportCpuMs} | ${s.cpuRatio} |`,
      );
    }
    await mkdir(path.dirname(OUT_FILE), { recursive: true });
    const machine = { node: process.version, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown', loadavg: os.loadavg() };
    await writeFile(OUT_FILE, `${JSON.stringify({ machine, rounds: ROUNDS, packageDir, functions: summary, failures }, null, 2)}\n`);
    console.log(`\nresults: ${path.relative(ROOT, OUT_FILE)}`);
  } finally {
    await rm(extractDir, { recursive: true, force: true });
  }
  for (const failure of failures) console.log(`CHECK FAILED: ${failure}`);
  if (failures.length > 0) process.exitCode = 1;
};

await main();
