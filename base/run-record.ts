import { z } from 'zod';
import { CloudRunRecordSchema } from './cloud-run-record.ts';
import { LocalRunRecordSchema } from './local-run-record.ts';
import { RecordedRunRecordSchema } from './recorded-run-record.ts';

/**
 * A run's record as History keeps it and the contract carries it: one of the engine's local record, the cloud run's
 * record, or a recorded (imported) run of the study, told apart by `kind`.
 */
export const RunRecordSchema = z.discriminatedUnion('kind', [
  LocalRunRecordSchema,
  CloudRunRecordSchema,
  RecordedRunRecordSchema,
]);
export type RunRecord = z.infer<typeof RunRecordSchema>;
