/**
 * Every problem with a `.pt` file or a dataset folder surfaces as a PtFormatError: the message starts with the
 * file it concerns, `code` says which kind of problem it is so callers can react without parsing text.
 */
export type PtErrorCode =
  | 'io' // the file or folder cannot be read
  | 'not-pt' // wrong magic: neither a zip archive nor a legacy torch pickle stream
  | 'zip-corrupt' // truncated or inconsistent zip structure
  | 'crc-mismatch' // a zip record does not match its CRC-32
  | 'missing-record' // the archive lacks data.pkl or a tensor record
  | 'pickle-corrupt' // the pickle stream is malformed or truncated
  | 'forbidden-global' // the pickle references a global outside the allow-list
  | 'unsupported' // a valid construct this reader deliberately does not handle (dtype, byte order, views)
  | 'bad-structure' // the object is not TensorDataset(images, magnitudes[, redshifts])
  | 'bad-shape' // a tensor has the wrong rank or shape
  | 'length-mismatch' // the tensors disagree on the number of samples
  | 'empty' // zero samples
  | 'size-exceeds-file' // a declared tensor or record size is larger than what the file holds
  | 'zip-bomb' // a deflated record would inflate far past its compressed size
  | 'too-large' // what the tensors' shapes expand to exceeds the memory budget (engine/data/memory-budget.ts)
  | 'bad-stride' // a zero or negative stride on a dimension longer than 1, or an index that overflows
  | 'not-a-file' // a FIFO, socket, device or folder where a .pt file was expected
  | 'no-pt-files' // a folder without any .pt file
  | 'changed' // the file changed between reading its header and loading it
  | 'invalid-argument'; // a caller asked for something impossible (e.g. a partition smaller than one sample)

export class PtFormatError extends Error {
  readonly file: string;
  readonly code: PtErrorCode;

  constructor(file: string, code: PtErrorCode, problem: string, options?: { cause?: unknown }) {
    super(`${file}: ${problem}`, options);
    this.name = 'PtFormatError';
    this.file = file;
    this.code = code;
  }
}
