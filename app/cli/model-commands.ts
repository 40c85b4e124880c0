import type { Command } from 'commander';
import { formatIO, modelInfo, type ModelInfo } from '../node/services/model.ts';
import { appDataDir } from '../node/services/system.ts';

const grouped = (n: number) => n.toLocaleString('en-US');

export function formatModelInfo(info: ModelInfo): string {
  const role = (name: string) =>
    name === info.binding.image
      ? '  (image)'
      : name === info.binding.magnitude
        ? '  (magnitude)'
        : name === info.binding.output
          ? '  (redshift)'
          : '';
  const rows: Array<[string, string]> = [
    ['model', info.path],
    ['weights', info.label ?? 'user-supplied'],
    ['opset', String(info.opset)],
    ...info.inputs.map((io, i): [string, string] => [i === 0 ? 'inputs' : '', formatIO(io) + role(io.name)]),
    ...info.outputs.map((io, i): [string, string] => [i === 0 ? 'outputs' : '', formatIO(io) + role(io.name)]),
    ['parameters', grouped(info.parameters)],
    [
      'FLOPs/galaxy',
      info.flopsPerSample === null
        ? 'unknown (shapes could not be inferred)'
        : `${grouped(info.flopsPerSample)} (${(info.flopsPerSample / 1e9).toFixed(3)} GFLOP)`,
    ],
  ];
  return rows.map(([k, v]) => `${k.padEnd(13)}${v}`).join('\n');
}

export function register(program: Command): void {
  const model = program.command('model').description('inspect ONNX models');
  model
    .command('info')
    .description(
      'inputs, outputs, parameter count and FLOPs per galaxy of an ONNX model (default: the reference model)',
    )
    .argument('[file]', 'ONNX model; without it, the reference AstroMAE (built and cached on first use)')
    .option('--json', 'print JSON instead of a table')
    .action(async (file: string | undefined, opts: { json?: boolean }) => {
      const info = await modelInfo(appDataDir(), file);
      process.stdout.write(opts.json ? `${JSON.stringify(info, null, 2)}\n` : `${formatModelInfo(info)}\n`);
    });
}
