import { Command, InvalidArgumentError, Option } from 'commander';
import path from 'node:path';
import { appDataDir } from '../node/services/system.ts';
import {
  deleteStack,
  describePackage,
  packageAndDeploy,
  packageLambda,
  saveStackProfile,
  stackStatus,
  templateBody,
  type DeployFlowProgress,
  type LambdaArch,
  type StackEventLine,
} from '../node/services/stack-foreground.ts';
import {
  abortOnSigint,
  profileStore,
  resolveProfile as resolveSavedProfile,
  withProfileClients,
} from './saved-profiles.ts';

/** `cosmicai stack …`: our own CAI stack on CloudFormation (cloud/stack). */

export const DEFAULT_STACK_NAME = 'cosmicai-cai';

const out = (s: string) => process.stdout.write(s.endsWith('\n') ? s : `${s}\n`);
const err = (s: string) => process.stderr.write(s.endsWith('\n') ? s : `${s}\n`);

function wholeNumber(name: string, min: number, max: number) {
  return (raw: string): number => {
    const n = Number(raw);
    if (!/^\s*\d+\s*$/.test(raw) || n < min || n > max)
      throw new InvalidArgumentError(`${name} must be a whole number from ${min} to ${max}, got '${raw}'`);
    return n;
  };
}

function seconds(name: string) {
  return (raw: string): number => {
    const n = Number(raw);
    if (!Number.isFinite(n) || n <= 0)
      throw new InvalidArgumentError(`${name} must be a positive number of seconds, got '${raw}'`);
    return n;
  };
}

const PROFILE_HELP = {
  several: 'choose the one whose credentials and region deploy the stack with --profile NAME.',
  none: 'No profile is saved yet: add one for the account and region to deploy to (cosmicai profile add NAME …).',
};
const resolveProfile = (name: string | undefined) => resolveSavedProfile(name, PROFILE_HELP);

export function formatStackEvent(e: StackEventLine): string {
  const time = e.timestamp.slice(11, 19);
  return `${time}  ${e.status.padEnd(28)} ${e.logicalId.padEnd(22)} ${e.resourceType}${e.reason ? `  ${e.reason}` : ''}`;
}

function progressPrinter() {
  let lastUpload = 0;
  return (p: DeployFlowProgress) => {
    if (p.kind === 'package') err(`» packaging: ${p.step}`);
    else if (p.kind === 'packaged') err(`» ${describePackage(p.result)}`);
    else if (p.kind === 'phase') err(`» ${p.message}`);
    else if (p.kind === 'event') err(formatStackEvent(p.event));
    else {
      const now = Date.now();
      const done = p.progress.phase === 'uploaded' || p.progress.phase === 'skipped';
      if (!done && now - lastUpload < 2000) return;
      lastUpload = now;
      const mb = (n: number) => (n / 2 ** 20).toFixed(1);
      err(
        `  ${p.progress.key}: ${p.progress.phase}${done ? '' : ` ${mb(p.progress.bytesDone)}/${mb(p.progress.bytesTotal)} MB`}`,
      );
    }
  };
}

interface DeployFlags {
  profile?: string;
  stackName: string;
  arch: LambdaArch;
  memory?: number;
  timeout?: number;
  maxConcurrency?: number;
  toleratedFailure?: number;
  logRetention?: number;
  bucket?: string;
  codeBucket?: string;
  zip?: string;
  model?: string;
  saveAs?: string;
  poll: number;
}

export function register(program: Command): void {
  const stack = program
    .command('stack')
    .description('deploy our own CAI stack (bucket, Lambdas running this engine, state machine) with CloudFormation');

  stack
    .command('template')
    .description('print the CloudFormation template (JSON)')
    .action(() => {
      process.stdout.write(templateBody());
    });

  stack
    .command('package')
    .description(
      'build the Lambda zip (the three workers with the engine, onnxruntime-node for one architecture) and print its size',
    )
    .addOption(new Option('--arch <arch>', 'Lambda architecture').choices(['x86_64', 'arm64']).default('x86_64'))
    .option('--out <file>', 'where to write the zip (default: ./cosmicai-lambda-<arch>.zip)')
    .option('--json', 'print the result as JSON')
    .action(async (o: { arch: LambdaArch; out?: string; json?: boolean }) => {
      const r = await packageLambda({
        arch: o.arch,
        outFile: path.resolve(o.out ?? `cosmicai-lambda-${o.arch}.zip`),
        onProgress: (step) => err(`» ${step}`),
      });
      out(o.json ? JSON.stringify({ ...r, entries: r.entries.length }, null, 2) : describePackage(r));
    });

  stack
    .command('deploy')
    .description(
      'create or update the stack: packages the Lambda code, uploads it and the model, streams CloudFormation events, saves a profile for it',
    )
    .option('--profile <name>', 'saved profile whose credentials and region deploy the stack')
    .option('--stack-name <name>', 'CloudFormation stack name', DEFAULT_STACK_NAME)
    .addOption(new Option('--arch <arch>', 'Lambda architecture').choices(['x86_64', 'arm64']).default('x86_64'))
    .option(
      '--memory <mb>',
      'inference Lambda memory in MB (template default 3008)',
      wholeNumber('--memory', 128, 10240),
    )
    .option('--timeout <s>', 'inference Lambda timeout in seconds (default 900)', wholeNumber('--timeout', 30, 900))
    .option(
      '--max-concurrency <n>',
      'ranks running at once in the Distributed Map, 0 = no limit (default 1000)',
      wholeNumber('--max-concurrency', 0, 10000),
    )
    .option(
      '--tolerated-failure <percent>',
      'share of failed ranks the Map tolerates (default 0)',
      wholeNumber('--tolerated-failure', 0, 100),
    )
    .option(
      '--log-retention <days>',
      'days the Lambda logs are kept (default 14)',
      wholeNumber('--log-retention', 1, 365),
    )
    .option('--bucket <name>', 'use this existing bucket instead of creating one')
    .option('--code-bucket <name>', 'put the Lambda zip in this existing bucket instead of the stack bucket')
    .option('--zip <file>', 'an already packaged zip (cosmicai stack package) instead of packaging now')
    .option('--model <file>', 'ONNX model to upload under scripts/ (default: the reference model)')
    .option('--save-as <name>', 'name of the profile saved for the stack (default: the stack name)')
    .option('--poll <seconds>', 'seconds between CloudFormation polls', seconds('--poll'), 5)
    .action(async (f: DeployFlags) => {
      const base = await resolveProfile(f.profile);
      const stop = abortOnSigint(
        'Stopping: the CloudFormation operation itself continues; follow it with `cosmicai stack status`. Press Ctrl-C again to quit at once.',
      );
      try {
        const res = await withProfileClients(base, (c) =>
          packageAndDeploy(c, {
            dataDir: appDataDir(),
            stackName: f.stackName,
            arch: f.arch,
            memoryMb: f.memory,
            timeoutSeconds: f.timeout,
            maxConcurrency: f.maxConcurrency,
            toleratedFailurePercentage: f.toleratedFailure,
            logRetentionDays: f.logRetention,
            existingBucket: f.bucket,
            codeBucket: f.codeBucket,
            zipFile: f.zip ? path.resolve(f.zip) : undefined,
            modelFile: f.model ? path.resolve(f.model) : undefined,
            pollMs: f.poll * 1000,
            signal: stop.signal,
            onProgress: progressPrinter(),
          }),
        );
        out(`stack ${res.stackName}: ${res.operation === 'none' ? 'already up to date' : res.status}`);
        for (const [k, v] of Object.entries(res.outputs)) out(`  ${k.padEnd(22)} ${v}`);
        out(`  code                   s3://${res.codeBucket}/${res.codeKey}`);
        if (res.modelKey) out(`  model                  s3://${res.bucket}/${res.modelKey}`);
        const saveAs = f.saveAs ?? res.stackName;
        const { action } = await saveStackProfile(profileStore(), res, base, saveAs);
        out(`${action === 'updated' ? 'updated' : 'saved'} profile '${saveAs}'`);
      } finally {
        stop.dispose();
      }
    });

  stack
    .command('status')
    .description("the stack's status, outputs and latest events")
    .option('--profile <name>', 'saved profile whose credentials and region reach the stack')
    .option('--stack-name <name>', 'CloudFormation stack name', DEFAULT_STACK_NAME)
    .option('--events <n>', 'latest events to show', wholeNumber('--events', 0, 100), 10)
    .option('--json', 'print JSON')
    .action(async (o: { profile?: string; stackName: string; events: number; json?: boolean }) => {
      const base = await resolveProfile(o.profile);
      const st = await withProfileClients(base, (c) => stackStatus(c, o.stackName, o.events));
      if (o.json) {
        out(JSON.stringify(st, null, 2));
        return;
      }
      if (!st.exists) {
        out(
          `no stack named '${st.stackName}' in ${base.region} (deploy it with: cosmicai stack deploy --profile ${base.name} --stack-name ${st.stackName})`,
        );
        process.exitCode = 1;
        return;
      }
      out(`stack ${st.stackName}: ${st.status}${st.reason ? ` (${st.reason})` : ''}`);
      for (const [k, v] of Object.entries(st.outputs)) out(`  ${k.padEnd(22)} ${v}`);
      if (st.recentEvents.length) out(['latest events:', ...st.recentEvents.map(formatStackEvent)].join('\n'));
    });

  stack
    .command('delete')
    .description('delete the stack (the bucket it created is kept, with your results)')
    .option('--profile <name>', 'saved profile whose credentials and region reach the stack')
    .option('--stack-name <name>', 'CloudFormation stack name', DEFAULT_STACK_NAME)
    .option('--poll <seconds>', 'seconds between CloudFormation polls', seconds('--poll'), 5)
    .action(async (o: { profile?: string; stackName: string; poll: number }) => {
      const base = await resolveProfile(o.profile);
      const res = await withProfileClients(base, (c) =>
        deleteStack(c, o.stackName, { pollMs: o.poll * 1000, onProgress: progressPrinter() }),
      );
      out(`stack ${res.stackName} deleted`);
      if (res.retainedBucket)
        out(
          `kept bucket ${res.retainedBucket} (your results and staged data); remove it yourself when done: aws s3 rb s3://${res.retainedBucket} --force`,
        );
    });
}
