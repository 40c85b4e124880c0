import type { z } from 'zod';
import { describeZodError, toApiErrorData, type ApiErrorData, type Envelope } from './contract/errors.ts';
import { getChannel, getMethod, type ChannelName, type ChannelPayload, type Contract } from './contract/index.ts';
import type { MethodDef } from './contract/define.ts';

/** The Node side's implementation: one async function per contract method, given the validated input. */
export type Handlers<Ctx = void> = {
  [D in keyof Contract]: {
    [M in keyof Contract[D]['methods']]: Contract[D]['methods'][M] extends MethodDef<infer I, infer O>
      ? (input: z.output<I>, ctx: Ctx) => Promise<z.input<O>> | z.input<O>
      : never;
  };
};

export interface DispatcherOptions {
  /** Adds a "what to do" hint to errors that arrive without one. */
  hintFor?: (error: ApiErrorData) => string | undefined;
  /** Called with unexpected failures (not ApiError/engine errors), e.g. to log them. */
  onInternalError?: (method: string, err: unknown) => void;
}

export type Dispatch<Ctx = void> = (method: unknown, input: unknown, ctx: Ctx) => Promise<Envelope>;

/**
 * Validates the method name and its input against the contract, runs the handler, and returns the envelope.
 * Never throws: every failure becomes `{ ok: false, error: { code, message, hint } }`.
 */
export function createDispatcher<Ctx = void>(handlers: Handlers<Ctx>, options: DispatcherOptions = {}): Dispatch<Ctx> {
  const fail = (error: ApiErrorData): Envelope => {
    const hint = error.hint ?? options.hintFor?.(error);
    return { ok: false, error: hint ? { ...error, hint } : error };
  };
  return async (method, input, ctx) => {
    if (typeof method !== 'string')
      return fail({ code: 'UNKNOWN_METHOD', message: 'The request names no API method.' });
    const def = getMethod(method);
    const [domainName, methodName] = method.split('.');
    const fn = (
      handlers as unknown as Record<string, Record<string, ((i: unknown, c: Ctx) => unknown) | undefined> | undefined>
    )[domainName]?.[methodName];
    if (!def || !Object.hasOwn(handlers, domainName))
      return fail({ code: 'UNKNOWN_METHOD', message: `Unknown API method "${method}".` });
    if (typeof fn !== 'function')
      return fail({ code: 'NOT_IMPLEMENTED', message: `"${method}" is not available here.` });
    const parsed = def.input.safeParse(input ?? {});
    if (!parsed.success)
      return fail({ code: 'INVALID_INPUT', message: `Invalid input for ${method}: ${describeZodError(parsed.error)}` });
    let value: unknown;
    try {
      value = await fn(parsed.data, ctx);
    } catch (err) {
      const data = toApiErrorData(err);
      if (data.code === 'INTERNAL') options.onInternalError?.(method, err);
      return fail(data);
    }
    const out = def.output.safeParse(value);
    if (!out.success) {
      options.onInternalError?.(method, out.error);
      return fail({
        code: 'INTERNAL',
        message: `The app produced an invalid reply to ${method}: ${describeZodError(out.error)}`,
      });
    }
    return { ok: true, value: out.data };
  };
}

type Listener = (channel: string, payload: unknown) => void;

/** Fan-out of channel events to every connected window or browser tab; payloads are checked before they leave. */
export class EventHub {
  private listeners = new Set<Listener>();
  emit<C extends ChannelName>(channel: C, payload: ChannelPayload<C>): void {
    const def = getChannel(channel);
    if (!def) throw new Error(`Unknown channel "${channel}"`);
    const parsed = def.payload.safeParse(payload);
    if (!parsed.success) throw new Error(`Invalid ${channel} event: ${describeZodError(parsed.error)}`);
    for (const l of [...this.listeners]) {
      try {
        l(channel, parsed.data);
      } catch {
        // One broken listener (a closed connection) must not stop the others.
      }
    }
  }
  listen(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
