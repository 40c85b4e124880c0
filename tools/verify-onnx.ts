// Used by tools/export_onnx.py when the onnxruntime Python package is missing: prints max |ONNX − PyTorch|.
import { checkExport } from '../engine/model/verify-export.ts';

const [model, samplesDir, batch] = process.argv.slice(2);
if (!model || !samplesDir || !batch) {
  console.error('usage: node bin/run-ts.mjs tools/verify-onnx.ts MODEL.onnx SAMPLES_DIR BATCH');
  process.exit(2);
}
try {
  const { maxAbsDiff } = await checkExport(model, samplesDir, Number(batch));
  console.log(String(maxAbsDiff));
} catch (err) {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
}
