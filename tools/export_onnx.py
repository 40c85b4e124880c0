#!/usr/bin/env python3
"""Export the study's trained AstroMAE checkpoint to ONNX for CosmicAI Bench.

Run it with PyTorch from a checkout of the study's repository (its model classes must be importable, since the
checkpoint is a pickled torch.nn.DataParallel whose .module takes the list [image, magnitude]):

    python3 /path/to/cosmicai-bench/tools/export_onnx.py \\
        --checkpoint Fine_Tune_Model/Mixed_Inception_z_VITAE_Base_Img_Full_New_Full.pt --output astromae.onnx

The exported graph has two named inputs, image [batch,5,32,32] and magnitude [batch,5] (float32), one output
redshift, opset 17 and a dynamic batch axis. The script then checks the export on a random batch against PyTorch
(max |difference| <= 1e-4): with the onnxruntime Python package if installed, otherwise with CosmicAI Bench's own
runtime (onnxruntime-node) when this script sits in a CosmicAI Bench checkout with Node.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile

DEFAULT_CHECKPOINT = 'Fine_Tune_Model/Mixed_Inception_z_VITAE_Base_Img_Full_New_Full.pt'
TOLERANCE = 1e-4
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def fail(message):
    print(f'export_onnx: {message}', file=sys.stderr)
    sys.exit(1)


def load_checkpoint(torch, path):
    if not os.path.isfile(path):
        fail(f'{path}: no such checkpoint (run from the study repository, or pass --checkpoint)')
    try:
        try:
            obj = torch.load(path, map_location='cpu', weights_only=False)
        except TypeError:  # torch < 1.13 has no weights_only
            obj = torch.load(path, map_location='cpu')
    except (ModuleNotFoundError, AttributeError) as err:
        fail(f'{path}: the pickle needs the study\'s model classes ({err}); run from the study repository or add it with --module-path')
    model = obj.module if hasattr(obj, 'module') else obj
    if not isinstance(model, torch.nn.Module):
        fail(f'{path}: holds a {type(model).__name__}, not a pickled model (a state_dict alone cannot be exported)')
    return model.eval()


def wrap(torch, model):
    class TwoInputs(torch.nn.Module):
        """Named inputs for the exported graph; the study's module takes the list [image, magnitude]."""

        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, image, magnitude):
            out = self.inner([image, magnitude])
            return out[0] if isinstance(out, (tuple, list)) else out

    return TwoInputs(model).eval()


def sample_batch(torch, batch, seed=0):
    g = torch.Generator().manual_seed(seed)
    image = torch.randn(batch, 5, 32, 32, generator=g)
    magnitude = 18 + 4 * torch.rand(batch, 5, generator=g)  # magnitudes of the study's galaxies lie around 15-25
    return image, magnitude


def verify(torch, onnx_path, wrapped, batch, samples_dir):
    image, magnitude = sample_batch(torch, batch, seed=1)
    with torch.no_grad():
        expected = wrapped(image, magnitude).reshape(batch, -1).float()
    if samples_dir:
        os.makedirs(samples_dir, exist_ok=True)
        for name, tensor in (('image', image), ('magnitude', magnitude), ('expected', expected)):
            tensor.contiguous().numpy().astype('<f4').tofile(os.path.join(samples_dir, f'{name}.f32'))
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        onnxruntime = None
    if onnxruntime is not None:
        session = onnxruntime.InferenceSession(onnx_path, providers=['CPUExecutionProvider'])
        got = session.run(None, {'image': image.numpy(), 'magnitude': magnitude.numpy()})[0].reshape(batch, -1)
        diff = float(abs(got - expected.numpy()).max())
        how = f'onnxruntime {onnxruntime.__version__}'
    else:
        node = shutil.which('node')
        runner = os.path.join(REPO, 'bin', 'run-ts.mjs')
        if not node or not os.path.isfile(runner):
            print('export_onnx: not verified: install the onnxruntime Python package, or keep this script in a CosmicAI Bench checkout with Node')
            return
        with tempfile.TemporaryDirectory() as tmp:
            out_dir = os.path.abspath(samples_dir) if samples_dir else tmp
            if not samples_dir:
                for name, tensor in (('image', image), ('magnitude', magnitude), ('expected', expected)):
                    tensor.contiguous().numpy().astype('<f4').tofile(os.path.join(out_dir, f'{name}.f32'))
            result = subprocess.run(
                [node, runner, os.path.join(REPO, 'tools', 'verify-onnx.ts'), os.path.abspath(onnx_path), out_dir, str(batch)],
                cwd=REPO, capture_output=True, text=True,
            )
        if result.returncode != 0:
            fail(f'verification with onnxruntime-node failed:\n{result.stdout}{result.stderr}')
        diff = float(result.stdout.strip().splitlines()[-1])
        how = 'onnxruntime-node (CosmicAI Bench)'
    if not diff <= TOLERANCE:
        fail(f'{onnx_path}: ONNX and PyTorch predictions differ by up to {diff:.3g} (> {TOLERANCE})')
    print(f'export_onnx: verified with {how} on a batch of {batch}: max |ONNX - PyTorch| = {diff:.3g}')


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--checkpoint', default=DEFAULT_CHECKPOINT, help=f'pickled model (default: {DEFAULT_CHECKPOINT})')
    parser.add_argument('--output', default='astromae.onnx', help='ONNX file to write (default: astromae.onnx)')
    parser.add_argument('--opset', type=int, default=17, help='ONNX opset (default: 17)')
    parser.add_argument('--module-path', action='append', default=[], help='extra folder on sys.path for the model classes (repeatable)')
    parser.add_argument('--verify-batch', type=int, default=3, help='batch size of the check against PyTorch (default: 3)')
    parser.add_argument('--samples-dir', help='also write the check batch and PyTorch output as raw float32 files here')
    parser.add_argument('--no-verify', action='store_true', help='skip the check against PyTorch')
    args = parser.parse_args()

    try:
        import torch
    except ImportError:
        fail('PyTorch is not installed for this Python (pip install torch, or Debian: apt install python3-torch)')
    sys.path[:0] = [os.getcwd(), *map(os.path.abspath, args.module_path)]

    wrapped = wrap(torch, load_checkpoint(torch, args.checkpoint))
    image, magnitude = sample_batch(torch, 2)
    out_dir = os.path.dirname(os.path.abspath(args.output))
    os.makedirs(out_dir, exist_ok=True)
    tmp_path = args.output + '.tmp'
    with torch.no_grad():
        torch.onnx.export(
            wrapped,
            (image, magnitude),
            tmp_path,
            input_names=['image', 'magnitude'],
            output_names=['redshift'],
            dynamic_axes={'image': {0: 'batch'}, 'magnitude': {0: 'batch'}, 'redshift': {0: 'batch'}},
            opset_version=args.opset,
            do_constant_folding=True,
        )
    os.replace(tmp_path, args.output)
    print(f'export_onnx: wrote {args.output} (opset {args.opset}, dynamic batch)')
    if not args.no_verify:
        verify(torch, args.output, wrapped, args.verify_batch, args.samples_dir)


if __name__ == '__main__':
    main()
