import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MAP_STATE, INFERENCE_STATE, renderStateMachine, stateMachineDefinition } from '../../cloud/state-machine.ts';

type AslValidator = (
  definition: unknown,
  opts?: { checkPaths?: boolean; checkArn?: boolean },
) => { isValid: boolean; errorsText: (sep?: string) => string };
const aslValidator = createRequire(import.meta.url)('asl-validator') as AslValidator;

const fns = {
  initializerArn: 'arn:aws:lambda:us-east-1:123456789012:function:cosmicai-initializer',
  inferenceArn: 'arn:aws:lambda:us-east-1:123456789012:function:cosmicai-inference:$LATEST',
  summarizerArn: 'cosmicai-summarizer',
};

describe('state-machine definition', () => {
  it('is valid ASL (asl-validator, paths and ARNs checked) once rendered', () => {
    const res = aslValidator(JSON.parse(renderStateMachine(fns)), { checkPaths: true, checkArn: true });
    expect(res.errorsText('\n')).toBe('');
    expect(res.isValid).toBe(true);
    // …and the validator does reject a broken one: the Map pointing at a state that does not exist.
    const broken = JSON.parse(renderStateMachine(fns));
    broken.States[MAP_STATE].Next = 'Summarise';
    expect(aslValidator(broken, { checkPaths: true, checkArn: true }).isValid).toBe(false);
  });

  it('is Initialize → Distributed Map of the inference Lambda over $.items → Summarize', () => {
    const def = stateMachineDefinition(fns, { maxConcurrency: 25 }) as { StartAt: string; States: Record<string, any> };
    expect(def.StartAt).toBe('Initialize');
    expect(def.States.Initialize.Next).toBe(MAP_STATE);
    const map = def.States[MAP_STATE];
    expect(map).toMatchObject({
      Type: 'Map',
      ItemsPath: '$.items',
      MaxConcurrency: 25,
      ToleratedFailurePercentage: 0,
      ResultPath: null,
      Next: 'Summarize',
    });
    expect(map.ItemProcessor.ProcessorConfig).toEqual({ Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' });
    expect(map.ItemProcessor.States[INFERENCE_STATE].Parameters.FunctionName).toBe(fns.inferenceArn);
    expect(def.States.Initialize.Parameters.FunctionName).toBe(fns.initializerArn);
    expect(def.States.Summarize).toMatchObject({ End: true, Parameters: { FunctionName: 'cosmicai-summarizer' } });
    expect(JSON.stringify(def)).not.toContain('${');
  });

  it('keeps only placeholders in the JSON file and refuses values that are not Lambda functions', () => {
    const raw = readFileSync(new URL('../../cloud/state-machine.asl.json', import.meta.url), 'utf8');
    expect(raw.match(/\$\{\w+\}/g)?.sort()).toEqual([
      '${InferenceFunctionArn}',
      '${InitializerFunctionArn}',
      '${SummarizerFunctionArn}',
    ]);
    expect(() => renderStateMachine({ ...fns, inferenceArn: 'arn:aws:s3:::bucket' })).toThrow(
      /inferenceArn .* is not a Lambda function/,
    );
    expect(() => renderStateMachine(fns, { toleratedFailurePercentage: 101 })).toThrow(/0–100/);
  });
});
