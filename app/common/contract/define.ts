import { z } from 'zod';

/** One request/response method: what the caller sends and what comes back, both checked with zod. */
export interface MethodDef<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  input: I;
  output: O;
}

/** One event channel (server → UI), e.g. run progress. */
export interface ChannelDef<P extends z.ZodType = z.ZodType> {
  payload: P;
}

export interface DomainDef {
  methods: Record<string, MethodDef>;
  channels: Record<string, ChannelDef>;
}

export const method = <I extends z.ZodType, O extends z.ZodType>(input: I, output: O): MethodDef<I, O> => ({
  input,
  output,
});
export const channel = <P extends z.ZodType>(payload: P): ChannelDef<P> => ({ payload });
export const domain = <
  M extends Record<string, MethodDef>,
  C extends Record<string, ChannelDef> = Record<never, never>,
>(def: {
  methods: M;
  channels?: C;
}): { methods: M; channels: C } => ({ methods: def.methods, channels: (def.channels ?? {}) as C });

export const Empty = z.object({}).strict();
export const Ok = z.object({ ok: z.literal(true) });
