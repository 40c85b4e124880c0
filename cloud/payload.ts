import { randomBytes } from 'node:crypto';
import { CAI_PAYLOAD_FIELDS, CaiPayloadSchema, type CaiPayload } from './payload-schema.ts';
import type { StoredProfile } from '../base/profile-schema.ts';

export type { CaiPayload } from './payload-schema.ts';

/** The code+model folder name under `scripts/` when the caller does not name one. */
export const DEFAULT_CODE_FOLDER = 'cosmicai-bench';
export const DEFAULT_MODEL_FILE = 'model.onnx';

export interface PayloadOptions {
  batchSize: number;
  /** How many partitions to process (the study's `file_limit`). */
  fileLimit: number;
  /** Ranks; omitted means one rank per file, as the study's initializer does. */
  worldSize?: number;
  /** The partition size staged; the data prefix becomes `<dataPrefix><N>MB/`. */
  partitionMb?: number;
  /** Explicit data prefix (wins over partitionMb). */
  dataPrefix?: string;
  /** Key of the code+model folder (or file); default `<scriptsPrefix>cosmicai-bench`. */
  s3ObjectName?: string;
  objectType?: 'folder' | 'file';
  /** Entry point; default `/tmp/<S3_object_name>/model.onnx`. */
  script?: string;
  /** Explicit result path (otherwise a fresh one). */
  resultPath?: string;
  now?: Date;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** A result path no earlier run used: `<results prefix><yyyymmdd-hhmmss>-<6 hex>` (UTC). */
export function newResultPath(resultsPrefix: string, now = new Date()): string {
  const stamp = `${now.getUTCFullYear()}${pad(now.getUTCMonth() + 1)}${pad(now.getUTCDate())}-${pad(now.getUTCHours())}${pad(now.getUTCMinutes())}${pad(now.getUTCSeconds())}`;
  return `${resultsPrefix}${stamp}-${randomBytes(3).toString('hex')}`;
}

export function dataPrefixFor(profile: Pick<StoredProfile, 'dataPrefix'>, partitionMb: number): string {
  return `${profile.dataPrefix}${partitionMb}MB/`;
}

/** The study's state-machine input, built from the profile and the run options; field order as the study's. */
export function buildPayload(
  profile: Pick<StoredProfile, 'bucket' | 'dataBucket' | 'scriptsPrefix' | 'resultsPrefix' | 'dataPrefix'>,
  opts: PayloadOptions,
): CaiPayload {
  const s3ObjectName = opts.s3ObjectName ?? `${profile.scriptsPrefix}${DEFAULT_CODE_FOLDER}`;
  const objectType = opts.objectType ?? 'folder';
  const raw: Record<string, unknown> = {
    bucket: profile.bucket,
    file_limit: opts.fileLimit,
    batch_size: opts.batchSize,
    object_type: objectType,
    S3_object_name: s3ObjectName,
    script:
      opts.script ?? (objectType === 'file' ? `/tmp/${s3ObjectName}` : `/tmp/${s3ObjectName}/${DEFAULT_MODEL_FILE}`),
    result_path: opts.resultPath ?? newResultPath(profile.resultsPrefix, opts.now),
    data_bucket: profile.dataBucket ?? profile.bucket,
    data_prefix:
      opts.dataPrefix ??
      (opts.partitionMb !== undefined ? dataPrefixFor(profile, opts.partitionMb) : profile.dataPrefix),
  };
  if (opts.worldSize !== undefined) raw.world_size = opts.worldSize;
  return validatePayload(raw);
}

export interface PayloadIssue {
  /** Dotted path of the field, "" for the whole document. */
  path: string;
  message: string;
}

export type PayloadParse = { ok: true; payload: CaiPayload } | { ok: false; issues: PayloadIssue[] };

/** Validates payload JSON text as edited by the user: syntax errors with their position, schema errors per field. */
export function parsePayloadText(text: string): PayloadParse {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { ok: false, issues: [{ path: '', message: `not valid JSON: ${(err as Error).message}` }] };
  }
  if (!json || typeof json !== 'object' || Array.isArray(json))
    return { ok: false, issues: [{ path: '', message: 'the payload must be a JSON object' }] };
  const res = CaiPayloadSchema.safeParse(json);
  if (!res.success)
    return { ok: false, issues: res.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) };
  return { ok: true, payload: orderFields(res.data) };
}

export function validatePayload(value: unknown): CaiPayload {
  const res = parsePayloadText(JSON.stringify(value));
  if (!res.ok)
    throw new Error(`Invalid payload: ${res.issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ')}`);
  return res.payload;
}

/** Pretty JSON in the study's field order, for display and editing. */
export function payloadToText(payload: CaiPayload): string {
  return `${JSON.stringify(orderFields(payload), null, 2)}\n`;
}

function orderFields(p: CaiPayload): CaiPayload {
  const out: Record<string, unknown> = {};
  for (const k of CAI_PAYLOAD_FIELDS) if (p[k] !== undefined) out[k] = p[k];
  for (const [k, v] of Object.entries(p)) if (!(k in out)) out[k] = v;
  return out as CaiPayload;
}
