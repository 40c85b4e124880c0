import { ensureReferenceModel } from '../../../engine/model/model-cache.ts';
import { inspectModel, type ModelInfo } from '../../../engine/model/model-info.ts';

/** The model job behind `cosmicai model info`: what an ONNX model takes and gives, and what it costs per galaxy. */

export type { ModelInfo };
export { formatIO } from '../../../engine/model/model-info.ts';

/** Inputs, outputs, binding, parameters and FLOPs of `file`, or of the reference model (built on first use). */
export async function modelInfo(dataDir: string, file?: string): Promise<ModelInfo> {
  return inspectModel(file ?? (await ensureReferenceModel(dataDir)));
}
