/**
 * Our state-machine definition (state-machine.asl.json) with the three Lambda ARNs filled in. The JSON keeps
 * `${InitializerFunctionArn}`, `${InferenceFunctionArn}` and `${SummarizerFunctionArn}` placeholders, the
 * DefinitionSubstitutions names a SAM/CloudFormation template would use.
 */
import template from './state-machine.asl.json' with { type: 'json' };

export interface StateMachineFunctions {
  initializerArn: string;
  inferenceArn: string;
  summarizerArn: string;
}

export interface RenderOptions {
  /** Ranks running at once (the Map's MaxConcurrency; 0 = no limit). */
  maxConcurrency?: number;
  /** Share of failed ranks the Map tolerates before failing (0 = any failure fails the run). */
  toleratedFailurePercentage?: number;
}

export const MAP_STATE = 'Distributed Inference';
export const INFERENCE_STATE = 'Model Inference';

const FUNCTION_REF =
  /^(arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:)?[A-Za-z0-9_-]{1,64}(:(\$LATEST|[A-Za-z0-9_-]+))?$/;

function substitute(value: unknown, subs: Record<string, string>): unknown {
  if (typeof value === 'string') return value.replace(/\$\{(\w+)\}/g, (m, name: string) => subs[name] ?? m);
  if (Array.isArray(value)) return value.map((v) => substitute(v, subs));
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, subs)]));
  return value;
}

/** The definition as an object. */
export function stateMachineDefinition(fns: StateMachineFunctions, opts: RenderOptions = {}): Record<string, unknown> {
  for (const [field, ref] of Object.entries(fns)) {
    if (!FUNCTION_REF.test(ref))
      throw new Error(
        `${field} '${ref}' is not a Lambda function name or ARN (arn:aws:lambda:REGION:ACCOUNT:function:NAME)`,
      );
  }
  const def = substitute(template, {
    InitializerFunctionArn: fns.initializerArn,
    InferenceFunctionArn: fns.inferenceArn,
    SummarizerFunctionArn: fns.summarizerArn,
  }) as {
    States: Record<string, Record<string, unknown>>;
  };
  const map = def.States[MAP_STATE];
  if (opts.maxConcurrency !== undefined) {
    if (!Number.isInteger(opts.maxConcurrency) || opts.maxConcurrency < 0)
      throw new Error(`maxConcurrency must be a whole number ≥ 0, got ${opts.maxConcurrency}`);
    map.MaxConcurrency = opts.maxConcurrency;
  }
  if (opts.toleratedFailurePercentage !== undefined) {
    const p = opts.toleratedFailurePercentage;
    if (!Number.isInteger(p) || p < 0 || p > 100)
      throw new Error(`toleratedFailurePercentage must be a whole number 0–100, got ${p}`);
    map.ToleratedFailurePercentage = p;
  }
  return def;
}

/** The definition as the JSON string CreateStateMachine/UpdateStateMachine take. */
export function renderStateMachine(fns: StateMachineFunctions, opts: RenderOptions = {}): string {
  return JSON.stringify(stateMachineDefinition(fns, opts), null, 2);
}
