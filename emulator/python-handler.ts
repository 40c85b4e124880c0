/**
 * A Lambda function whose code is a Python handler file (`lambda_handler(event, context)`), run the way the Python
 * runtime runs it: one process per invocation here (a cold container each time), its output in the function's log
 * stream, its exception reported as Lambda's function error (errorType = the exception's class).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LambdaFunctionError, type LambdaHandler } from './local-lambda.ts';
import { PYTHON_DIR, runPython, type PythonEnv } from './python-env.ts';

interface HandlerOutcome {
  ok: boolean;
  result?: unknown;
  errorType?: string;
  errorMessage?: string;
  stackTrace?: string[];
  maxRssKb?: number;
}

export function pythonHandler(file: string, pe: PythonEnv): LambdaHandler {
  return async (event, context) => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'cosmicai-pylambda-'));
    const resultFile = path.join(dir, 'result.json');
    try {
      const request = {
        event,
        requestId: context.awsRequestId,
        functionName: context.functionName,
        memoryMb: Number(context.memoryLimitInMB),
      };
      const run = await runPython(pe, [path.join(PYTHON_DIR, 'run_handler.py'), file, resultFile], {
        stdin: JSON.stringify(request),
        cwd: path.dirname(file),
        onLine: (line) => context.log?.(line),
      });
      let outcome: HandlerOutcome;
      try {
        outcome = JSON.parse(await readFile(resultFile, 'utf8')) as HandlerOutcome;
      } catch {
        throw new LambdaFunctionError(
          'Runtime.ExitError',
          `RequestId: ${context.awsRequestId} Error: Runtime exited with error: ${run.signal ? `signal ${run.signal}` : `exit status ${run.code}`}`,
          [],
        );
      }
      if (outcome.maxRssKb) context.reportMaxMemoryUsedMb?.(outcome.maxRssKb / 1024);
      if (!outcome.ok)
        throw new LambdaFunctionError(
          outcome.errorType ?? 'Exception',
          outcome.errorMessage ?? '',
          outcome.stackTrace ?? [],
        );
      return outcome.result;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };
}
