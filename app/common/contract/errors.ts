import { z } from 'zod';

/** How an error crosses the UI boundary: a stable code, the message, and what the user can do about it. */
export const ApiErrorData = z.object({
  code: z.string(),
  message: z.string(),
  hint: z.string().optional(),
  /** The file the error is about, when there is one (engine errors keep it). */
  file: z.string().optional(),
});
export type ApiErrorData = z.infer<typeof ApiErrorData>;

export class ApiError extends Error {
  readonly code: string;
  readonly hint?: string;
  readonly file?: string;
  constructor(data: ApiErrorData) {
    super(data.message);
    this.name = 'ApiError';
    this.code = data.code;
    this.hint = data.hint;
    this.file = data.file;
  }
  toData(): ApiErrorData {
    return { code: this.code, message: this.message, hint: this.hint, file: this.file };
  }
}

/** The result envelope every transport carries, so error details survive IPC and HTTP alike. */
export const Envelope = z.union([
  z.object({ ok: z.literal(true), value: z.unknown() }),
  z.object({ ok: z.literal(false), error: ApiErrorData }),
]);
export type Envelope = z.infer<typeof Envelope>;

/**
 * Turns anything thrown (an ApiError, a plain `{code, message}` object copied over Electron's contextBridge,
 * an engine error with `code` and `file`, or a bare Error) into ApiErrorData.
 */
export function toApiErrorData(err: unknown, fallbackCode = 'INTERNAL'): ApiErrorData {
  if (err instanceof ApiError) return err.toData();
  if (err && typeof err === 'object') {
    const e = err as Record<string, unknown>;
    const message = typeof e.message === 'string' ? e.message : String(err);
    const code = typeof e.code === 'string' ? e.code : fallbackCode;
    const out: ApiErrorData = { code, message };
    if (typeof e.hint === 'string') out.hint = e.hint;
    if (typeof e.file === 'string') out.file = e.file;
    return out;
  }
  return { code: fallbackCode, message: String(err) };
}

/** Formats zod issues as one readable line per problem, naming the field. */
export function describeZodError(err: z.ZodError): string {
  return err.issues.map((i) => `${i.path.length ? i.path.join('.') : '(input)'}: ${i.message}`).join('; ');
}
