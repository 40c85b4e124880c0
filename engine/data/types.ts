/** What the engine knows about the study's `.pt` partitions. Every tensor comes back as float32. */

export type TensorName = 'images' | 'magnitudes' | 'redshifts';
export type SourceDtype = 'float32' | 'float64' | 'float16';

export interface Tensor {
  shape: number[];
  data: Float32Array;
  /** The dtype stored in the file, before conversion to float32. */
  sourceDtype: SourceDtype;
}

/** One partition file in memory: images [N,5,32,32], magnitudes [N,5], redshifts [N] (null when unlabelled). */
export interface GalaxyPartition {
  path: string;
  samples: number;
  images: Float32Array;
  magnitudes: Float32Array;
  redshifts: Float32Array | null;
}

/** A partition file known by its header only (nothing but the pickle is read). */
export interface PartitionRef {
  /** 1-based position in the dataset (numeric file order). */
  index: number;
  path: string;
  /** File size in bytes. */
  bytes: number;
  samples: number;
  /** Stored dtypes of the image and magnitude tensors, from the header (the input bits per galaxy follow them). */
  dtypes?: { images: SourceDtype; magnitudes: SourceDtype };
}

export const IMAGE_SHAPE = [5, 32, 32] as const;
export const IMAGE_VALUES_PER_SAMPLE = 5 * 32 * 32;
export const MAGNITUDES_PER_SAMPLE = 5;
/** 1 MB in the study's partition sizes is 2^20 bytes. */
export const MB = 1 << 20;
