"""PyTorch baseline for `npm run bench`: the same AstroMAE architecture (bench/astromae_torch.py) on the same .pt
partitions, threads and batch size as one engine configuration, measured the same way:

- each partition is loaded with torch.load (timed separately, not part of inference time);
- batches are slices (views) of the partition's tensors;
- inference time is the wall time from the first batch start to the last batch end, summed over partitions;
- peak RSS is the process's OS high-water mark (getrusage ru_maxrss), torch import and model included.

    /usr/bin/python3 bench/torch_baseline.py --threads 2 --batch-size 256 DATA.pt [DATA.pt ...]

Prints one JSON object on stdout.
"""
import argparse
import json
import os
import resource
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from astromae_torch import build_model, count_parameters  # noqa: E402


def percentile(values, q):
    if not values:
        return None
    s = sorted(values)
    pos = (len(s) - 1) * q / 100
    lo = int(pos)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--threads', type=int, required=True)
    parser.add_argument('--batch-size', type=int, required=True)
    parser.add_argument('data', nargs='+', help='.pt TensorDataset partition files')
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    model = build_model()
    samples = batches = 0
    load_seconds = inference_seconds = cpu_seconds = 0.0
    batch_ms = []
    data_bytes = 0
    with torch.inference_mode():
        for path in args.data:
            t0 = time.perf_counter()
            ds = torch.load(path, weights_only=False)
            load_seconds += time.perf_counter() - t0
            data_bytes += os.path.getsize(path)
            images, magnitudes = ds.tensors[0], ds.tensors[1]
            n = images.shape[0]
            start = time.perf_counter()
            cpu_start = time.process_time()
            end = start
            for s in range(0, n, args.batch_size):
                b0 = time.perf_counter()
                out = model([images[s:s + args.batch_size], magnitudes[s:s + args.batch_size]])
                end = time.perf_counter()
                batch_ms.append((end - b0) * 1000)
                batches += 1
                samples += out.shape[0]
            inference_seconds += end - start
            cpu_seconds += time.process_time() - cpu_start
            del ds, images, magnitudes

    print(json.dumps({
        'torch': torch.__version__,
        'threads': torch.get_num_threads(),
        'batch_size': args.batch_size,
        'parameters': count_parameters(model),
        'samples': samples,
        'batches': batches,
        'bytes': data_bytes,
        'load_seconds': load_seconds,
        'inference_seconds': inference_seconds,
        # Process CPU time (all threads) over the same windows; OpenMP's idle spinning counts in it.
        'cpu_seconds': cpu_seconds,
        'sample_persec': samples / inference_seconds if inference_seconds > 0 else 0,
        'seconds_per_batch': inference_seconds / batches if batches else 0,
        'latency_ms': {'p50': percentile(batch_ms, 50), 'p90': percentile(batch_ms, 90), 'p99': percentile(batch_ms, 99)},
        # ru_maxrss is in KiB on Linux.
        'peak_rss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))


if __name__ == '__main__':
    main()
