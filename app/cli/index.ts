import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';

/** The version in package.json, which `cosmicai --version` prints. */
export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** Each command group lives in its own module and registers itself here. */
const groups: Array<() => Promise<{ register(program: Command): void }>> = [
  () => import('./data-commands.ts'),
  () => import('./model-commands.ts'),
  () => import('./local-commands.ts'),
  () => import('./ui.ts'),
  () => import('./cloud-commands.ts'),
  () => import('./study-commands.ts'),
  () => import('./stack-commands.ts'),
  () => import('./history-commands.ts'),
];

export async function main(argv: string[]): Promise<void> {
  const program = new Command('cosmicai')
    .description('CosmicAI Bench: AstroMAE redshift inference, locally and on AWS Step Functions')
    .version(`cosmicai ${packageVersion()} (CosmicAI Bench)`, '-V, --version', 'print the version')
    .showHelpAfterError()
    .exitOverride();
  for (const load of groups) (await load()).register(program);
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode;
      return;
    }
    process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    const hint = err instanceof Error && 'hint' in err && typeof err.hint === 'string' ? err.hint : '';
    if (hint) process.stderr.write(`hint: ${hint}\n`);
    process.exitCode = 1;
  }
}
