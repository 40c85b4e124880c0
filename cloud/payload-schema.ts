import { z } from 'zod';

/**
 * The CAI state machine's input, field for field as the study (AI-for-Astronomy `aws/`) passes it: the study's
 * initializer does `int(event['file_limit'])`, so counts may arrive as numbers or numeric strings ("10" in its
 * demo input); they come out of the schema as numbers. Keys the study adds for its own tooling (`data_path`,
 * `dynamodb_table`, …) are kept as they are.
 *
 * How our workers read the code/model location (the study downloads `S3_object_name` to /tmp and runs `script`):
 * - `S3_object_name`: key in `bucket` of the code+model object, e.g. `scripts/cosmicai-bench`. With `object_type`
 *   "folder" it is a prefix; with "file" it is the ONNX model object itself.
 * - `script`: the entry point inside the downloaded copy, written the study's way as `/tmp/<S3_object_name>/<rel>`
 *   (the `/tmp/<S3_object_name>/` part may be left out). When it ends in `.onnx` it names the model; otherwise
 *   (e.g. the study's `inference.py`) the folder must hold exactly one `.onnx` object, and that is the model.
 * See `cloud/lambda/model-location.ts`.
 */

const count = (what: string) =>
  z
    .union([z.number(), z.string().regex(/^\s*\d+\s*$/, `${what} must be a whole number, e.g. 10`)])
    .transform((v) => (typeof v === 'string' ? Number(v.trim()) : v))
    .pipe(z.number().int(`${what} must be a whole number`).positive(`${what} must be at least 1`));

const bucketName = (what: string) =>
  z
    .string()
    .regex(
      /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
      `${what} must be an S3 bucket name (3–63 lowercase letters, digits, "." or "-")`,
    );

/** An S3 key prefix: no leading "/", no ".." segment. "" is the bucket root. */
const keyPrefix = (what: string, allowEmpty: boolean) =>
  z
    .string()
    .max(1024)
    .refine((p) => allowEmpty || p.trim() !== '', `${what} must not be empty`)
    .refine((p) => !p.startsWith('/'), `${what} is an S3 key prefix and must not start with "/"`)
    .refine((p) => !p.split('/').includes('..'), `${what} must not contain a ".." segment`);

export const CaiPayloadSchema = z.looseObject({
  bucket: bucketName('bucket'),
  file_limit: count('file_limit'),
  batch_size: count('batch_size'),
  object_type: z.enum(['folder', 'file'], { error: 'object_type must be "folder" or "file"' }),
  S3_object_name: keyPrefix('S3_object_name', false),
  script: z.string().min(1, 'script must name the entry point (e.g. /tmp/scripts/cosmicai-bench/model.onnx)'),
  result_path: keyPrefix('result_path', false),
  data_bucket: bucketName('data_bucket'),
  data_prefix: keyPrefix('data_prefix', true),
  world_size: count('world_size').optional(),
  /**
   * Re-run of chosen ranks (ours, not the study's): exactly these ranks, each with its partition keys, instead of
   * the first file_limit files. Used to re-run the failed ranks of an execution into the same result_path.
   */
  ranks: z
    .array(
      z.object({ rank: z.number().int().min(0), files: z.array(keyPrefix('ranks[].files[]', false)).min(1) }).strict(),
    )
    .min(1, 'ranks must list at least one rank')
    .max(10_000)
    .refine((rs) => new Set(rs.map((r) => r.rank)).size === rs.length, 'ranks must not repeat a rank')
    .optional(),
});

/** The payload after validation (counts as numbers). */
export type CaiPayload = z.infer<typeof CaiPayloadSchema>;
/** The payload as written in JSON (counts may be strings). */
export type CaiPayloadInput = z.input<typeof CaiPayloadSchema>;

/** The fields, in the study's order (for display and for building the JSON). */
export const CAI_PAYLOAD_FIELDS = [
  'bucket',
  'file_limit',
  'batch_size',
  'object_type',
  'S3_object_name',
  'script',
  'result_path',
  'data_bucket',
  'data_prefix',
  'world_size',
] as const;

/** Validates a payload; the error lists every problem as "field: problem". */
export function parseCaiPayload(value: unknown, source = 'payload'): CaiPayload {
  const res = CaiPayloadSchema.safeParse(value);
  if (res.success) return res.data;
  const problems = res.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
  throw new Error(`${source} is not a valid CAI state-machine input: ${problems.join('; ')}`);
}
