"""CosmicAI Bench: the PyTorch local engine's runner (shipped with the app, run with the workstation's Python).

Loads a whole-model checkpoint as the study's Lambda script does (torch.load(path, weights_only=False).module.eval(),
the code folder on sys.path), calls it as model([image, magnitude]) over each .pt partition in batches (a DataLoader
over the file's TensorDataset, as the study does), and writes JSON lines on stdout:

  {"type": "ready", ...}                     model loaded
  {"type": "progress", ...}                  after every batch
  {"type": "partition", ...}                 one per partition: physical measurements, the study's profiler fields,
                                             predictions and labels
  {"type": "done", "cancelled": bool}
  {"type": "fatal", "message": str}          nothing more follows

Two families of numbers per partition:
  - physical: inference wall time (the model calls and the bit counting of each batch, summed), process CPU time
    (time.process_time over the same windows: user + system of every thread), RSS sampled after loading and after
    every batch, and the OS high-water mark;
  - the study's: the torch profiler wrapped around the whole batch loop exactly as the study's lambda/inference.py
    wraps it (ProfilerActivity.CPU, profile_memory=True, gc.collect() after every batch), and its formulas:
    total_cpu_time = key_averages().total_average().cpu_time_total / 1e6, total_cpu_memory = .cpu_memory_usage / 1e6,
    execution_time = total_cpu_time / (samples / batch_size), throughput_bps = input bits / total_cpu_time,
    sample_persec = samples / total_cpu_time, input bits = element_size() * nelement() * 8 of image and magnitude.

SIGTERM asks it to stop before the next batch; what was computed is still reported.
Exit codes: 0 done (or cancelled), 2 bad arguments, 3 torch missing, 4 model not loadable, 1 anything else.
"""
import argparse
import gc
import json
import math
import os
import platform
import resource
import signal
import sys
import time

cancelled = False


def on_term(signum, frame):
    global cancelled
    cancelled = True


def emit(obj):
    sys.stdout.write(json.dumps(obj, allow_nan=False) + "\n")
    sys.stdout.flush()


def rss_bytes():
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return max_rss_bytes()


def max_rss_bytes():
    r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return r if sys.platform == "darwin" else r * 1024


def finite_or_none(xs):
    """JSON has no NaN/Infinity: non-finite values travel as null (read back as NaN)."""
    return [x if math.isfinite(x) else None for x in xs]


def fatal(message, code):
    emit({"type": "fatal", "message": message})
    sys.exit(code)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--code", default=None, help="folder put on sys.path before loading (the study's code folder)")
    ap.add_argument("--batch-size", type=int, required=True)
    ap.add_argument("--threads", type=int, default=0, help="torch.set_num_threads (0: torch's default)")
    ap.add_argument("--no-profiler", action="store_true", help="skip the torch profiler (no study fields)")
    ap.add_argument("partitions", nargs="+", help="the .pt partition files, in order")
    args = ap.parse_args()
    if args.batch_size <= 0:
        fatal("batch size must be positive", 2)

    signal.signal(signal.SIGTERM, on_term)
    try:
        import torch
        from torch.utils.data import DataLoader
        from torch.profiler import profile, ProfilerActivity
    except ImportError as e:
        fatal(f"{sys.executable} cannot import torch ({e}); install PyTorch for it or choose another Python", 3)

    if args.threads > 0:
        torch.set_num_threads(args.threads)
    if args.code:
        sys.path.append(os.path.abspath(args.code))

    t0 = time.perf_counter()
    try:
        loaded = torch.load(args.model, map_location="cpu", weights_only=False)
    except Exception as e:  # noqa: BLE001 - any unpickling failure is the user's model problem
        hint = " (is the model's code folder given with --code?)" if isinstance(e, (ModuleNotFoundError, AttributeError)) else ""
        fatal(f"cannot load {args.model} with torch.load: {type(e).__name__}: {e}{hint}", 4)
    if not hasattr(loaded, "module"):
        fatal(f"{args.model} holds a {type(loaded).__name__}, not a whole model wrapped as the study's script expects "
              "(torch.load(path, weights_only=False).module: a torch.nn.DataParallel pickle)", 4)
    model = loaded.module.eval()
    parameters = sum(p.numel() for p in model.parameters())
    emit({
        "type": "ready", "sessionSeconds": time.perf_counter() - t0, "rssBytes": rss_bytes(),
        "torch": torch.__version__, "python": platform.python_version(), "threads": torch.get_num_threads(),
        "parameters": parameters,
    })

    device = "cpu"
    total_parts = len(args.partitions)
    samples_done_all = 0
    infer_seconds_all = 0.0
    for index, path in enumerate(args.partitions, start=1):
        if cancelled:
            break
        emit({"type": "progress", "phase": "loading", "partition": index})
        t_load = time.perf_counter()
        try:
            data = torch.load(path, weights_only=False)
            tensors = data.tensors
        except Exception as e:  # noqa: BLE001
            emit({"type": "partition", "partition": index, "path": path, "status": "failed",
                  "error": f"torch.load: {type(e).__name__}: {e}"})
            continue
        load_seconds = time.perf_counter() - t_load
        samples_in_file = len(tensors[0])
        labels = finite_or_none(tensors[2].reshape(-1).double().tolist()) if len(tensors) > 2 else None
        dataloader = DataLoader(data, batch_size=args.batch_size)
        peak_rss = rss_bytes()

        batch_ms = []
        outs = []
        infer_seconds = 0.0
        cpu_seconds = 0.0
        total_data_bits = 0
        num_batches = 0
        num_samples = 0
        nan_inputs = 0
        inf_inputs = 0

        def loop():
            nonlocal infer_seconds, cpu_seconds, total_data_bits, num_batches, num_samples, peak_rss
            nonlocal samples_done_all, infer_seconds_all
            with torch.no_grad():
                for i, data in enumerate(dataloader):
                    if cancelled:
                        break
                    c0 = time.process_time()
                    w0 = time.perf_counter()
                    image = data[0].to(device)
                    magnitude = data[1].to(device)
                    out = model([image, magnitude])
                    image_bits = image.element_size() * image.nelement() * 8
                    magnitude_bits = magnitude.element_size() * magnitude.nelement() * 8
                    total_data_bits += image_bits + magnitude_bits
                    w1 = time.perf_counter()
                    c1 = time.process_time()
                    outs.append(out)
                    num_batches += 1
                    num_samples += len(image)
                    infer_seconds += w1 - w0
                    cpu_seconds += c1 - c0
                    batch_ms.append((w1 - w0) * 1000)
                    gc.collect()
                    peak_rss = max(peak_rss, rss_bytes())
                    samples_done_all += len(image)
                    infer_seconds_all += w1 - w0
                    emit({"type": "progress", "phase": "inferring", "partition": index, "batchesDone": num_batches,
                          "samplesDone": samples_done_all,
                          "samplesPerSec": samples_done_all / infer_seconds_all if infer_seconds_all > 0 else 0})

        study = None
        if args.no_profiler:
            loop()
        else:
            # As the study's lambda/inference.py: the profiler around the whole loop, its totals and formulas.
            with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
                loop()
            avg = prof.key_averages().total_average()
            total_cpu_memory = avg.cpu_memory_usage / 1e6
            total_time = avg.cpu_time_total / 1e6
            ok = num_samples > 0 and total_time > 0
            study = {
                "total_cpu_time (seconds)": total_time,
                "total_cpu_memory (MB)": total_cpu_memory,
                "execution_time (seconds/batch)": total_time / (num_samples / args.batch_size) if ok else 0,
                "num_batches": num_batches,
                "batch_size": args.batch_size,
                "device": device,
                "throughput_bps": total_data_bits / total_time if ok else 0,
                "sample_persec": num_samples / total_time if ok else 0,
            }
        # Predictions are gathered after the profiler closed, so no extra operator counts in its totals.
        preds = finite_or_none(torch.cat(outs).reshape(-1).double().tolist()) if outs else []
        for t in (tensors[0], tensors[1]):
            nan_inputs += int(torch.isnan(t[:num_samples]).sum())
            inf_inputs += int(torch.isinf(t[:num_samples]).sum())
        emit({
            "type": "partition", "partition": index, "path": path,
            "status": "cancelled" if cancelled else "completed", "error": None,
            "samplesInFile": samples_in_file, "samples": num_samples, "batches": num_batches,
            "inferenceSeconds": infer_seconds, "loadSeconds": load_seconds, "cpuSeconds": cpu_seconds,
            "peakRssBytes": peak_rss, "maxRssBytes": max_rss_bytes(), "batchMs": batch_ms,
            "nanInputs": nan_inputs, "infInputs": inf_inputs, "bits": total_data_bits,
            "dtypes": [str(tensors[0].dtype).replace("torch.", ""), str(tensors[1].dtype).replace("torch.", "")],
            "study": study, "zPred": preds, "zTrue": labels[:num_samples] if labels is not None else None,
        })
        del data, tensors, dataloader, outs
        gc.collect()
    emit({"type": "done", "cancelled": cancelled, "partitions": total_parts})


if __name__ == "__main__":
    main()
