import { runOfPendingRerun } from '../node/pending-rerun-run.ts';
import { Command, InvalidArgumentError, Option } from 'commander';
import { readFile } from 'node:fs/promises';
import { appDataDir } from '../node/services/system.ts';
import type { AwsClients } from '../node/services/profiles.ts';
import {
  DEFAULT_PARTITION_MB,
  pipelineTarget,
  prepareCloudRun,
  stageRun,
  type PipelineTarget,
  type StageEvent,
  type StageResult,
} from '../node/services/cloud-prepare.ts';
import {
  checkExecutionArn,
  cloudResults,
  executionStatus,
  failedRanksRun,
  followAndRecord as followAndRecordShared,
  formatRankPlan,
  guardSingleRun,
  launch,
  payloadToText,
  rerunFailedRanks,
  stopRun,
  testConnection,
  type CaiPayload,
  type CloudRunEvent,
} from '../node/services/cloud-ops.ts';
import type { CredentialsInput, ProfileInput } from '../../base/profile-schema.ts';
import { HistoryStore } from '../node/history-store.ts';
import { DEFAULT_BATCH_SIZE } from '../../base/options.ts';
import { abortOnSigint, profileStore, resolveProfile, withProfileClients } from './saved-profiles.ts';
import {
  formatChecks,
  formatProfile,
  formatRecord,
  formatResults,
  formatSnapshot,
  formatSnapshotDetail,
  formatStageProgress,
} from './cloud-format.ts';

/** `cosmicai profile …` and `cosmicai cloud …`. */

function wholeNumber(name: string) {
  return (raw: string): number => {
    if (!/^\s*\d+\s*$/.test(raw) || Number(raw) < 1)
      throw new InvalidArgumentError(`${name} must be a whole number ≥ 1, got '${raw}'`);
    return Number(raw);
  };
}

function positive(name: string) {
  return (raw: string): number => {
    const n = Number(raw);
    if (!Number.isFinite(n) || n <= 0)
      throw new InvalidArgumentError(`${name} must be a positive number, got '${raw}'`);
    return n;
  };
}

const PROFILE_HELP = {
  several: 'choose one with --profile NAME.',
  none: 'No profile is saved yet: add one with `cosmicai profile add NAME …`.',
};

async function withClients<T>(profileName: string | undefined, fn: (c: AwsClients) => Promise<T>): Promise<T> {
  return withProfileClients(await resolveProfile(profileName, PROFILE_HELP), fn);
}

const out = (s: string) => process.stdout.write(s.endsWith('\n') ? s : `${s}\n`);
const err = (s: string) => process.stderr.write(s.endsWith('\n') ? s : `${s}\n`);

/** Progress lines on stderr, at most every 2 s for the same step (every change of step is shown). */
function throttledLog() {
  let last = 0;
  let lastStep = '';
  return (step: string, line: string) => {
    const now = Date.now();
    if (step === lastStep && now - last < 2000) return;
    last = now;
    lastStep = step;
    err(line);
  };
}

function stageLogger() {
  const log = throttledLog();
  return (e: StageEvent) => {
    if (e.step === 'folders') log('folders', 'creating the results/ and scripts/ folders…');
    else if (e.step === 'partition') log('partition', `partitioning: ${e.written}/${e.total} samples`);
    else
      log(
        `${e.step}-${e.progress.phase === 'uploaded' || e.progress.phase === 'skipped' ? e.progress.key : 'x'}`,
        formatStageProgress(e.step === 'code' ? 'code+model' : 'data', e.progress),
      );
  };
}

function stageSummary(s: StageResult): string {
  const d = s.data;
  return [
    `code+model  s3://${s.bucket}/${s.s3ObjectName} (${s.objectType}): ${s.code.uploadedFiles} uploaded, ${s.code.skippedFiles} already there`,
    `data        s3://${s.dataBucket}/${s.dataPrefix}: ${s.partitions} partition(s) of ${s.partitionMb} MB, ${s.samples} samples${d ? `: ${d.uploadedFiles} uploaded, ${d.skippedFiles} already there` : ''}${s.partitionsReused ? ' (local partitions re-used)' : ''}`,
    ...(s.cancelled ? ['cancelled: what finished is kept; run the same command again to resume'] : []),
  ].join('\n');
}

interface ProfileAddFlags {
  region: string;
  bucket: string;
  dataBucket?: string;
  stateMachine: string;
  lambda: string;
  credentials: 'profile' | 'sso' | 'env' | 'static';
  awsProfile?: string;
  scriptsPrefix?: string;
  resultsPrefix?: string;
  dataPrefix?: string;
  memory?: number;
  arch?: 'x86_64' | 'arm64';
  endpoint?: string;
  allowInsecureEndpoints?: boolean;
  s3Endpoint?: string;
  sfnEndpoint?: string;
  stsEndpoint?: string;
  logsEndpoint?: string;
  lambdaEndpoint?: string;
}

function credentialsFromFlags(f: ProfileAddFlags): CredentialsInput {
  switch (f.credentials) {
    case 'profile':
    case 'sso':
      if (!f.awsProfile)
        throw new Error(
          `--credentials ${f.credentials} needs --aws-profile NAME (a profile in ~/.aws/${f.credentials === 'sso' ? 'config' : 'credentials or ~/.aws/config'}).`,
        );
      return { source: f.credentials, profile: f.awsProfile };
    case 'env':
      return { source: 'env' };
    case 'static':
      // The CLI has no OS keychain to encrypt pasted keys with; ProfileStore refuses them with the reason.
      return { source: 'static', accessKeyId: 'none', secretAccessKey: 'none-given' };
  }
}

function registerProfile(program: Command): void {
  const profile = program
    .command('profile')
    .description('saved AWS profiles for cloud runs (stored in <data dir>/profiles.json, no secrets in plain text)');

  profile
    .command('list')
    .description('list the saved profiles (credentials redacted)')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const list = await profileStore().list();
      if (o.json) out(JSON.stringify(list, null, 2));
      else
        out(
          list.length
            ? list.map(formatProfile).join('\n\n')
            : 'No profiles saved. Add one with `cosmicai profile add NAME --region … --bucket … --state-machine … --lambda …`.',
        );
    });

  profile
    .command('add')
    .description('save a profile')
    .argument('<name>', 'a name for the profile')
    .requiredOption('--region <region>', 'AWS region, e.g. us-east-1')
    .requiredOption('--bucket <bucket>', 'bucket for scripts/ and results/')
    .requiredOption('--state-machine <arn>', 'the CAI state machine ARN')
    .requiredOption('--lambda <name>', 'the inference Lambda function name (for its logs)')
    .addOption(
      new Option('--credentials <source>', 'where credentials come from')
        .choices(['profile', 'sso', 'env', 'static'])
        .default('profile'),
    )
    .option('--aws-profile <name>', 'the ~/.aws profile name (for --credentials profile|sso)')
    .option('--data-bucket <bucket>', 'bucket for the partitions (default: --bucket)')
    .option('--scripts-prefix <prefix>', "default 'scripts/'")
    .option('--results-prefix <prefix>', "default 'results/'")
    .option('--data-prefix <prefix>', "default 'data/'")
    .option('--memory <mb>', 'the inference Lambda memory in MB (for cost; default 2048)', wholeNumber('--memory'))
    .addOption(new Option('--arch <arch>', 'the Lambda architecture (for cost)').choices(['x86_64', 'arm64']))
    .option('--endpoint <url>', 'one endpoint override for every service (an S3-compatible or local test stack)')
    .option('--s3-endpoint <url>', 'S3 endpoint override')
    .option('--sfn-endpoint <url>', 'Step Functions endpoint override')
    .option('--sts-endpoint <url>', 'STS endpoint override')
    .option('--logs-endpoint <url>', 'CloudWatch Logs endpoint override')
    .option('--lambda-endpoint <url>', 'Lambda endpoint override (the memory sweep and its Test connection check)')
    .option('--allow-insecure-endpoints', 'accept http:// endpoints on non-loopback hosts (requests travel in clear)')
    .action(async (name: string, f: ProfileAddFlags) => {
      const endpoints = Object.fromEntries(
        Object.entries({
          s3: f.s3Endpoint ?? f.endpoint,
          sfn: f.sfnEndpoint ?? f.endpoint,
          sts: f.stsEndpoint ?? f.endpoint,
          logs: f.logsEndpoint ?? f.endpoint,
          lambda: f.lambdaEndpoint ?? f.endpoint,
        }).filter(([, v]) => v),
      );
      const input: ProfileInput = {
        name,
        credentials: credentialsFromFlags(f),
        region: f.region,
        bucket: f.bucket,
        ...(f.dataBucket ? { dataBucket: f.dataBucket } : {}),
        ...(f.scriptsPrefix !== undefined ? { scriptsPrefix: f.scriptsPrefix } : {}),
        ...(f.resultsPrefix !== undefined ? { resultsPrefix: f.resultsPrefix } : {}),
        ...(f.dataPrefix !== undefined ? { dataPrefix: f.dataPrefix } : {}),
        stateMachineArn: f.stateMachine,
        inferenceLambdaName: f.lambda,
        ...(f.memory ? { lambdaMemoryMb: f.memory } : {}),
        ...(f.arch ? { architecture: f.arch } : {}),
        endpoints,
        ...(f.allowInsecureEndpoints ? { allowInsecureEndpoints: true } : {}),
      };
      const saved = await profileStore().add(input);
      out(`saved profile:\n${formatProfile(saved)}`);
    });

  profile
    .command('import')
    .description(
      'save the profile an emulator printed (`npm run -s emulate` → {"ready":true,"profile":{…}}), from FILE or - (stdin)',
    )
    .argument('<file>', "a JSON file, or - for stdin: the emulator's ready line, or a profile object")
    .option('--name <name>', 'save under this name instead')
    .option('--replace', 'replace a saved profile of the same name (an emulator restarted on new ports)')
    .action(async (file: string, o: { name?: string; replace?: boolean }) => {
      const text =
        file === '-'
          ? await readStdin()
          : await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
              throw new Error(`Cannot read ${file}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`);
            });
      const input = profileFromImport(text, file);
      if (o.name) input.name = o.name;
      const store = profileStore();
      if (o.replace && (await store.list()).some((p) => p.name === input.name)) await store.remove(input.name);
      const saved = await store.add(input);
      out(`saved profile:\n${formatProfile(saved)}`);
    });

  profile
    .command('remove')
    .description('delete a saved profile')
    .argument('<name>')
    .action(async (name: string) => {
      await profileStore().remove(name);
      out(`removed profile '${name}'`);
    });

  profile
    .command('test')
    .description(
      'test connection: STS identity, S3 bucket, state machine, log group (exit code 1 if any fails), and the ' +
        "Lambda memory sweep's GetFunctionConfiguration (WARN only: needed for memory sweeps alone)",
    )
    .argument('[name]', 'profile name (default: the only one saved)')
    .option('--json', 'print JSON')
    .action(async (name: string | undefined, o: { json?: boolean }) => {
      const checks = await withClients(name, (c) => testConnection(c));
      out(o.json ? JSON.stringify(checks, null, 2) : formatChecks(checks));
      if (checks.some((c) => !c.ok && !c.optional)) process.exitCode = 1;
    });
}

interface StageFlags {
  profile?: string;
  data?: string[];
  partitionMb: number;
  code?: string;
  entry?: string;
  model?: string;
  json?: boolean;
}

/** Refuses what the flags cannot do on this pipeline, before anything is uploaded. */
function checkStageFlags(f: StageFlags, profileName: string) {
  return (target: PipelineTarget) => {
    if (f.code && f.model) throw new Error('Give either --code DIR or --model FILE, not both.');
    if (f.entry && target !== 'cai')
      throw new Error(
        `--entry is for the study's CAI pipeline; profile '${profileName}' drives our own stack, which runs the .onnx model in --code.`,
      );
  };
}

/** The stage flags as the run options cloud-prepare.ts takes. */
const stageOptions = (f: StageFlags) => ({
  codeDir: f.code,
  modelFile: f.model,
  entry: f.entry,
  data: f.data,
  partitionMb: f.partitionMb,
});

function addStageOptions(cmd: Command): Command {
  return cmd
    .option(
      '--data <path...>',
      '.pt files and/or folders to partition and upload (default: bundled synthetic sample data)',
    )
    .option(
      '--partition-mb <n>',
      `partition size in MB (default ${DEFAULT_PARTITION_MB})`,
      positive('--partition-mb'),
      DEFAULT_PARTITION_MB,
    )
    .option(
      '--code <dir>',
      "code + model folder to upload under scripts/ (our stack: must hold one .onnx; CAI pipeline: the study's code folder, as is)",
    )
    .option('--entry <path>', 'CAI pipeline: the script inside --code the executor runs, e.g. Inference/inference.py')
    .option('--model <file.onnx>', 'upload just this model under scripts/ (default: the reference model)');
}

interface RunFlags extends StageFlags {
  batchSize?: number;
  fileLimit?: number;
  worldSize?: number;
  payload?: string;
  wait: boolean;
  stage: boolean;
  keepResultPath?: boolean;
  interval: number;
  logs: boolean;
  name?: string;
  dryRun?: boolean;
  acceptWarnings?: boolean;
  allowConcurrent?: boolean;
}

function eventPrinter(json: boolean) {
  const log = throttledLog();
  let lastStatus = '';
  return (e: CloudRunEvent) => {
    if (e.type === 'started')
      err(
        `started ${e.executionArn}\nresult_path ${e.resultPath}\n(Ctrl-C detaches; re-attach with: cosmicai cloud attach ${e.executionArn})`,
      );
    else if (e.type === 'status') {
      const line = formatSnapshot(e.snapshot);
      if (line !== lastStatus) err(line);
      lastStatus = line;
    } else if (e.type === 'notice') err(`note: ${e.message}`);
    else if (e.type === 'logs' && !json) for (const l of e.lines) log(`log-${l.eventId}`, `  | ${l.message}`);
  };
}

async function followAndRecord(
  clients: AwsClients,
  executionArn: string,
  f: { interval: number; logs: boolean; json?: boolean; name?: string },
  payload?: CaiPayload,
): Promise<void> {
  const history = new HistoryStore(appDataDir());
  // Re-attaching to a re-run of a run's failed ranks: it is recorded into that run, merged, not as a run of its own.
  const rerunOf = payload ? null : await runOfPendingRerun(history, executionArn);
  if (rerunOf)
    err(`${executionArn} re-runs failed ranks of History run ${rerunOf.runId}: its results go into that run`);
  const ctl = abortOnSigint('detaching: the execution keeps running (stop it with `cosmicai cloud stop ARN`)');
  // Listed at once: if this process dies, History shows the run as interrupted, ready to re-attach.
  const entry = rerunOf
    ? { id: rerunOf.runId, name: rerunOf.name }
    : await history.create({
        kind: 'cloud',
        name:
          f.name ??
          (payload
            ? `Cloud · ${clients.profile.name} · batch ${payload.batch_size} · ${payload.file_limit} files`
            : `Cloud · ${clients.profile.name} · ${executionArn.split(':').pop()}`),
        params: {
          profile: clients.profile.name,
          executionArn,
          ...(payload ? { result_path: payload.result_path } : { attached: true }),
        },
      });
  try {
    const done = await followAndRecordShared(clients, executionArn, {
      history,
      runId: entry.id,
      name: entry.name,
      intervalMs: f.interval * 1000,
      signal: ctl.signal,
      tailLogs: f.logs,
      onEvent: eventPrinter(!!f.json),
      rerunOf: rerunOf?.record,
    });
    if (done.detached) {
      err(`detached from ${executionArn}; re-attach with: cosmicai cloud attach ${executionArn}`);
      return;
    }
    const saved = done.record;
    const where = rerunOf ? `merged into History run ${saved.id}` : `saved in History as ${saved.id}`;
    out(f.json ? JSON.stringify(saved, null, 2) : `${formatRecord(saved)}\n  ${where}`);
    if (saved.status !== 'completed') process.exitCode = 1;
  } catch (e) {
    // A re-run's run keeps its record as it was: the re-run stays pending, to re-attach again.
    if (!rerunOf)
      await history
        .finish(entry.id, {
          status: 'failed',
          error: { code: 'CLOUD_ERROR', message: e instanceof Error ? e.message : String(e) },
        })
        .catch(() => undefined);
    throw e;
  } finally {
    ctl.dispose();
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** The profile in an emulator's output (its `{"ready":true,"profile":…}` line, among others) or a bare profile object. */
export function profileFromImport(text: string, source: string): ProfileInput {
  const candidates = [
    text.trim(),
    ...text
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l.startsWith('{')),
  ];
  for (const c of candidates) {
    let json: unknown;
    try {
      json = JSON.parse(c);
    } catch {
      continue;
    }
    const obj = json as { ready?: unknown; profile?: unknown };
    const profile =
      obj && typeof obj === 'object' && obj.profile && typeof obj.profile === 'object' ? obj.profile : json;
    if (profile && typeof profile === 'object' && 'stateMachineArn' in profile) return profile as ProfileInput;
  }
  throw new Error(
    `${source === '-' ? 'stdin' : source} holds no profile: expected the emulator's {"ready": true, "profile": {…}} line or a profile JSON object.`,
  );
}

function registerCloud(program: Command): void {
  const cloud = program.command('cloud').description('run the study on the CAI AWS Step Functions state machine');

  addStageOptions(
    cloud
      .command('stage')
      .description(
        'create results/ and scripts/, upload the code+model and the partitioned data (resumable: identical objects are skipped)',
      )
      .option('--profile <name>', 'saved profile (default: the only one)'),
  )
    .option('--json', 'print the staging report as JSON')
    .action(async (f: StageFlags) => {
      const ctl = abortOnSigint('cancelling after the current part; finished files are kept…');
      try {
        const r = await withClients(f.profile, async (c) =>
          stageRun(c, await pipelineTarget(c), stageOptions(f), {
            dataDir: appDataDir(),
            signal: ctl.signal,
            checkStage: checkStageFlags(f, c.profile.name),
            onStage: stageLogger(),
          }),
        );
        out(f.json ? JSON.stringify(r, null, 2) : stageSummary(r));
        if (r.cancelled) process.exitCode = 130;
      } finally {
        ctl.dispose();
      }
    });

  addStageOptions(
    cloud
      .command('run')
      .description('stage, start the state machine with the study payload, follow it, and save the results in History')
      .option('--profile <name>', 'saved profile (default: the only one)'),
  )
    .option('--batch-size <n>', `galaxies per batch (default ${DEFAULT_BATCH_SIZE})`, wholeNumber('--batch-size'))
    .option('--file-limit <n>', 'partitions to process (default: all staged)', wholeNumber('--file-limit'))
    .option('--world-size <n>', 'ranks (default: one per file)', wholeNumber('--world-size'))
    .option(
      '--payload <file.json>',
      'send this payload instead of building one (no staging; result_path is made fresh unless --keep-result-path)',
    )
    .option(
      '--keep-result-path',
      "with --payload: keep the file's result_path (earlier results there may be overwritten)",
    )
    .option('--no-stage', 'do not upload anything first (the data must already be staged)')
    .option('--no-wait', 'start and print the execution ARN, then exit')
    .option('--no-logs', 'do not tail the Lambda log group')
    .option('--interval <s>', 'seconds between status polls (default 3)', positive('--interval'), 3)
    .option('--name <name>', 'a name for History')
    .option('--json', 'print the run record as JSON')
    .option('--dry-run', 'show the payload and the rank plan, start nothing (staging still uploads unless --no-stage)')
    .option(
      '--accept-warnings',
      'start even though the rank plan has warnings (more ranks than files, >1,000 keys, other files than staged)',
    )
    .option(
      '--allow-concurrent',
      'start even while another execution of the state machine is RUNNING (the CAI pipeline shares one payload.json)',
    )
    .action(async (f: RunFlags) => {
      await withClients(f.profile, async (clients) => {
        const payloadText = f.payload
          ? await readFile(f.payload, 'utf8').catch((e: NodeJS.ErrnoException) => {
              throw new Error(`Cannot read ${f.payload}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`);
            })
          : undefined;
        if (f.payload && !payloadText)
          throw new Error(`${f.payload}: the file is empty; it must hold a payload object.`);
        // Ctrl-C cancels staging only; once staged, the default (exit) applies again as before.
        const ctl = !f.payload && f.stage ? abortOnSigint('cancelling staging; nothing was started…') : null;
        let prepared;
        try {
          prepared = await prepareCloudRun(
            clients,
            {
              ...stageOptions(f),
              batchSize: f.batchSize,
              fileLimit: f.fileLimit,
              worldSize: f.worldSize,
              stage: f.stage,
              payloadText,
              keepResultPath: f.keepResultPath,
            },
            {
              dataDir: appDataDir(),
              signal: ctl?.signal ?? new AbortController().signal,
              checkStage: checkStageFlags(f, clients.profile.name),
              onStage: stageLogger(),
              onStaged: (staged) => {
                ctl?.dispose();
                err(stageSummary(staged));
                for (const w of staged.warnings) err(`warning: ${w}`);
                if (staged.cancelled) process.exitCode = 130;
              },
              onPayload: (payload) => err(`payload:\n${payloadToText(payload)}`),
              payloadSource: f.payload,
              nothingStagedHint: 'Stage them first (drop --no-stage), or give --file-limit.',
            },
          );
        } finally {
          ctl?.dispose();
        }
        if (!prepared) return;
        const { target, payload, rankPlan } = prepared;
        if (target === 'cai' && rankPlan) {
          const plan = rankPlan;
          err(formatRankPlan(plan));
          if (f.dryRun) {
            out(JSON.stringify({ target, payload, rankPlan: plan }, null, 2));
            return;
          }
          if (plan.warnings.length && !f.acceptWarnings) {
            throw new Error(
              `Not started: the rank plan has ${plan.warnings.length} warning(s) (above). Start anyway with --accept-warnings, or change --file-limit/--world-size or what is staged.`,
            );
          }
          const running = await guardSingleRun(
            clients.sfn,
            clients.profile.stateMachineArn,
            !!f.allowConcurrent,
            '--allow-concurrent',
          );
          if (running.length)
            err(
              `warning: starting while ${running.length} other execution(s) run (--allow-concurrent): they share one payload.json, so their rank plans may be mixed.`,
            );
        } else if (f.dryRun) {
          out(JSON.stringify({ target, payload }, null, 2));
          return;
        }
        const started = await launch(clients, payload, eventPrinter(!!f.json));
        if (!f.wait) {
          out(
            f.json
              ? JSON.stringify(
                  { executionArn: started.executionArn, name: started.name, result_path: payload.result_path },
                  null,
                  2,
                )
              : started.executionArn,
          );
          return;
        }
        await followAndRecord(clients, started.executionArn, f, payload);
      });
    });

  cloud
    .command('attach')
    .description('re-attach to an execution by its ARN: follow it to the end and save its results in History')
    .argument('<execution-arn>')
    .option('--profile <name>', 'saved profile (default: the only one)')
    .option('--interval <s>', 'seconds between status polls (default 3)', positive('--interval'), 3)
    .option('--no-logs', 'do not tail the Lambda log group')
    .option('--name <name>', 'a name for History')
    .option('--json', 'print the run record as JSON')
    .action(
      async (arn: string, f: { profile?: string; interval: number; logs: boolean; json?: boolean; name?: string }) => {
        await withClients(f.profile, (c) => followAndRecord(c, checkExecutionArn(arn), f));
      },
    );

  cloud
    .command('rerun-failed')
    .description(
      're-run only the failed ranks of a cloud run in History (a new execution into the same result_path); the run gets the merged results',
    )
    .argument('<run-id>', 'the run id, as History and `cosmicai cloud run` show it')
    .option('--interval <s>', 'seconds between status polls (default 3)', positive('--interval'), 3)
    .option('--no-logs', 'do not tail the Lambda log group')
    .option('--json', 'print the merged run record as JSON')
    .action(async (runId: string, f: { interval: number; logs: boolean; json?: boolean }) => {
      const history = new HistoryStore(appDataDir());
      const run = await failedRanksRun(history, runId);
      await withClients(run.record.profile.name, async (c) => {
        const ctl = abortOnSigint('detaching: the re-run keeps running (stop it with `cosmicai cloud stop ARN`)');
        const record = await rerunFailedRanks(c, history, run, {
          intervalMs: f.interval * 1000,
          tailLogs: f.logs,
          onEvent: eventPrinter(!!f.json),
          onStarted: (ranks, arn) =>
            err(`re-running rank(s) ${ranks.join(', ')} of ${run.record.executionArn} as ${arn}`),
          signal: ctl.signal,
        }).finally(() => ctl.dispose());
        out(
          f.json ? JSON.stringify(record, null, 2) : `${formatRecord(record)}\n  merged into History run ${run.runId}`,
        );
        if (record.status !== 'completed') process.exitCode = 1;
      });
    });

  cloud
    .command('status')
    .description('status of an execution: state, Map item counts, failed ranks with error and cause')
    .argument('<execution-arn>')
    .option('--profile <name>', 'saved profile (default: the only one)')
    .option('--json', 'print JSON')
    .action(async (arn: string, f: { profile?: string; json?: boolean }) => {
      const s = await withClients(f.profile, (c) => executionStatus(c, arn));
      out(f.json ? JSON.stringify(s, null, 2) : formatSnapshotDetail(s));
    });

  cloud
    .command('stop')
    .description('stop a running execution (its running ranks are aborted; finished ranks keep their results)')
    .argument('<execution-arn>')
    .option('--profile <name>', 'saved profile (default: the only one)')
    .action(async (arn: string, f: { profile?: string }) => {
      const r = await withClients(f.profile, (c) => stopRun(c, arn));
      out(r.stopped ? `stopped ${arn}` : `not running (status ${r.status}); nothing to stop`);
    });

  cloud
    .command('results')
    .description(
      "read and aggregate the per-rank results and combined_data.json under a result path (or an execution's)",
    )
    .argument('<result-path-or-execution-arn>')
    .option('--profile <name>', 'saved profile (default: the only one)')
    .option('--json', 'print JSON (raw ranks, combined_data.json, problems and the aggregate)')
    .action(async (target: string, f: { profile?: string; json?: boolean }) => {
      const r = await withClients(f.profile, (c) => cloudResults(c, target));
      if (r.kind === 'record') out(f.json ? JSON.stringify(r.record, null, 2) : formatRecord(r.record));
      else {
        out(f.json ? JSON.stringify(r.results, null, 2) : formatResults(r.results));
        if (!r.results.aggregate) process.exitCode = 1;
      }
    });
}

export function register(program: Command): void {
  registerProfile(program);
  registerCloud(program);
}
