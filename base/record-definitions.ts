import { DefinitionsMapSchema, inferDefinitions, type DefinitionsMap } from './metric-catalogue.ts';

/**
 * The definitions behind a History record's numbers: the record's own `definitions` map when it has one, else
 * inferred from its kind — older local runs (onnxruntime, process counters), the study's recorded results (torch
 * profiler), cloud runs of the study's script (a `.py` entry point or `pipeline: "cai"`: torch profiler) or of this
 * app's onnxruntime worker.
 */
export function recordDefinitions(record: unknown): DefinitionsMap {
  const r = (record && typeof record === 'object' ? record : {}) as Record<string, unknown>;
  const own = DefinitionsMapSchema.safeParse(r.definitions);
  if (r.definitions !== undefined && own.success) return own.data;
  if (r.kind === 'recorded') return inferDefinitions('study-profiler');
  if (r.kind === 'cloud') {
    const payload = (r.payload && typeof r.payload === 'object' ? r.payload : {}) as Record<string, unknown>;
    const script = typeof payload.script === 'string' ? payload.script.trim() : '';
    return inferDefinitions(r.pipeline === 'cai' || /\.py$/i.test(script) ? 'study-profiler' : 'cloud-onnx-worker');
  }
  return inferDefinitions('local-onnx-legacy');
}
