/** Reading a state machine definition: names, Lambda task resources, Map states, JSON paths. */
import { AwsServiceError } from '../aws-http.ts';
import type { StateMachineRecord } from './records.ts';

// The name rule is AWS's own: control characters are exactly what it forbids.
// eslint-disable-next-line no-control-regex
export const NAME_RE = /^[^\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]{1,80}$/;
export const LAMBDA_INVOKE = /^arn:aws[a-z-]*:states:::lambda:invoke$/;
export const LAMBDA_ARN = /^arn:aws[a-z-]*:lambda:[^:]+:\d{12}:function:[^:]+(:.+)?$/;

export const str = (v: unknown, field: string): string => {
  if (typeof v !== 'string' || v === '')
    throw new AwsServiceError('ValidationException', `1 validation error detected: '${field}' must not be null`, 400);
  return v;
};

/** `$`, `$.a.b`, `$['a'].b` — enough for InputPath/ItemsPath in our definitions. */
export function evalPath(path: string | undefined | null, value: unknown): unknown {
  if (path === undefined) return value;
  if (path === null) return {};
  if (!path.startsWith('$')) return undefined;
  const parts = [...path.slice(1).matchAll(/\.([^.[]+)|\['([^']+)'\]|\[(\d+)\]/g)].map(
    (m) => m[1] ?? m[2] ?? Number(m[3]),
  );
  let cur: unknown = value;
  for (const p of parts) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[p];
  }
  return cur;
}

export function collectStates(
  states: Record<string, Record<string, unknown>>,
  tasks: StateMachineRecord['tasks'],
  maps: StateMachineRecord['maps'],
  inMap?: string,
): void {
  for (const [name, state] of Object.entries(states)) {
    if (state.Type === 'Task') {
      const resource = String(state.Resource);
      const prev = tasks.get(name);
      if (prev && prev.resource !== resource) {
        throw new AwsServiceError(
          'InvalidDefinition',
          `the local endpoint needs Task state names to be unique; '${name}' is used for two resources`,
          400,
        );
      }
      if (!LAMBDA_INVOKE.test(resource) && !LAMBDA_ARN.test(resource)) {
        throw new AwsServiceError(
          'InvalidDefinition',
          `the local endpoint runs Lambda tasks only; state '${name}' uses ${resource}`,
          400,
        );
      }
      tasks.set(name, { resource, map: inMap });
    }
    if (state.Type === 'Map') {
      if (Number(state.ToleratedFailurePercentage ?? 0) > 0 || Number(state.ToleratedFailureCount ?? 0) > 0) {
        throw new AwsServiceError(
          'InvalidDefinition',
          `the local endpoint cannot tolerate Map item failures; state '${name}' asks for a failure tolerance`,
          400,
        );
      }
      maps.set(name, state);
      const proc = (state.ItemProcessor ?? state.Iterator) as
        { States: Record<string, Record<string, unknown>> } | undefined;
      if (proc) collectStates(proc.States, tasks, maps, name);
    }
    if (state.Type === 'Parallel') {
      for (const b of state.Branches as Array<{ States: Record<string, Record<string, unknown>> }>)
        collectStates(b.States, tasks, maps, inMap);
    }
  }
}

export const isDistributed = (state: Record<string, unknown>) =>
  ((state.ItemProcessor as { ProcessorConfig?: { Mode?: string } } | undefined)?.ProcessorConfig?.Mode ?? 'INLINE') ===
  'DISTRIBUTED';

/**
 * A Task state that sets no TimeoutSeconds runs for up to 99,999,999 s on AWS; the interpreter's own default is
 * 60 s. Node timers hold at most 2^31−1 ms (a longer one fires at once), so the emulator uses 2,000,000 s (23 days).
 */
export const AWS_DEFAULT_TASK_TIMEOUT_SECONDS = 2_000_000;

/** A copy of the definition in which every Task state without a timeout gets AWS's default, as AWS runs it. */
export function withAwsTaskTimeouts<T>(definition: T): T {
  const visit = (states: Record<string, Record<string, unknown>> | undefined) => {
    for (const s of Object.values(states ?? {})) {
      if (s.Type === 'Task' && s.TimeoutSeconds === undefined && s.TimeoutSecondsPath === undefined)
        s.TimeoutSeconds = AWS_DEFAULT_TASK_TIMEOUT_SECONDS;
      const inner = (s.ItemProcessor ?? s.Iterator) as { States?: Record<string, Record<string, unknown>> } | undefined;
      visit(inner?.States);
      for (const b of (s.Branches as Array<{ States: Record<string, Record<string, unknown>> }> | undefined) ?? [])
        visit(b.States);
    }
  };
  const copy = JSON.parse(JSON.stringify(definition)) as T;
  visit((copy as { States?: Record<string, Record<string, unknown>> }).States);
  return copy;
}
