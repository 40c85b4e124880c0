import type { ApiErrorData } from '../common/contract/index.ts';

const DATA_FORMAT =
  "Each data file must be a .pt TensorDataset(images [N,5,32,32], magnitudes [N,5], redshifts [N]) as written by torch.save in the study's split_data.py.";

/** "What to do" for the error codes the engine, the store and the hosts produce. */
const HINTS: Record<string, string> = {
  // .pt data (engine/data PtFormatError)
  io: 'Check that the path exists and that you can read it, then choose it again.',
  'not-pt': `This is not a PyTorch .pt file. Choose .pt partition files or a folder of them. ${DATA_FORMAT}`,
  'zip-corrupt': 'The file looks truncated or damaged. Copy it again from its source, or remove it from the data list.',
  'crc-mismatch': 'The file is damaged (a checksum does not match). Copy it again from its source.',
  'missing-record': 'The archive is incomplete. Save the dataset again with torch.save, or copy the file again.',
  'pickle-corrupt': 'The file is truncated or damaged. Copy it again from its source.',
  'forbidden-global': `The file holds objects other than tensors; for safety it is not loaded. ${DATA_FORMAT}`,
  unsupported: `The file uses a tensor layout this app does not read. Save the tensors as contiguous float32/float64/float16. ${DATA_FORMAT}`,
  'bad-structure': DATA_FORMAT,
  'bad-shape': DATA_FORMAT,
  'length-mismatch': `The tensors hold different numbers of galaxies. ${DATA_FORMAT}`,
  empty: 'The file holds no galaxies. Choose another partition.',
  'size-exceeds-file':
    'The file is shorter than its header says: it was probably cut off while copying. Copy it again.',
  'zip-bomb':
    'A compressed record in the file would expand to an implausible size, so it was not opened. Use the original file torch.save wrote.',
  'too-large':
    "The file's tensors expand to more memory than the budget allows. Save them as contiguous tensors (x.contiguous()), split the data with `cosmicai partition`, or raise COSMICAI_MEMORY_BUDGET_MB if you have the memory.",
  'bad-stride':
    'A tensor in the file repeats or reverses its data through zero or negative strides. Save contiguous tensors (x.contiguous() or x.clone()) with torch.save.',
  'not-a-file': 'The path is a named pipe, socket or device, not a data file. Choose the .pt files themselves.',
  'no-pt-files': 'The folder has no .pt files. Choose the folder that holds the partition files (e.g. 1.pt, 2.pt, …).',
  changed: 'The file changed while it was being read. Wait until it is fully copied, then run again.',
  'invalid-argument': 'Check the run settings and try again.',
  // local runs (engine/run LocalRunError)
  'bad-option': 'Correct the batch size, threads, graph optimisation or precision and start again.',
  'no-data': 'Choose one or more .pt files or folders, or leave Data empty to use the bundled sample data.',
  session:
    'onnxruntime could not load the model. Choose a model exported with tools/export_onnx.py, or leave Model empty for the reference model.',
  worker:
    'The inference worker stopped unexpectedly. Try a smaller batch size or fewer threads; the partial results are kept in History.',
  // models (engine/model ModelError)
  'not-found':
    'Check the path: the file does not exist (or was moved). Choose it again, or leave Model empty for the bundled reference model.',
  // app
  INVALID_INPUT: 'Correct the highlighted value and try again.',
  NOT_FOUND: 'Reload the list; the item may have been deleted.',
  DAMAGED: 'Delete this entry from History.',
  BUSY: 'Wait for the current run to finish, or cancel it.',
  UNSUPPORTED: 'This works in the desktop app; in the browser, type the path or use the built-in file browser.',
};

const MODEL_HINT =
  'Choose an AstroMAE .onnx model (exported with tools/export_onnx.py: inputs image [N,5,32,32] and magnitude [N,5], output [N,1]), or leave Model empty to use the bundled reference model.';

const INT8_HINT =
  'This model cannot be quantized to int8. Run it at fp32, or choose the original fp32 .onnx model (not an already quantized copy).';

export function hintFor(error: ApiErrorData): string | undefined {
  if (error.code === 'not-onnx' || error.code === 'does-not-fit') return MODEL_HINT;
  if (error.code === 'bad-option' && /^precision int8:/.test(error.message)) return INT8_HINT;
  return HINTS[error.code];
}

export { MODEL_HINT };
