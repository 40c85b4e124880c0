import { Command, CommanderError } from 'commander';

/** Each command group lives in its own module and registers itself here. */
const groups: Array<() => Promise<{ register(program: Command): void }>> = [
  () => import('./data-commands.ts'),
  () => import('./model-commands.ts'),
  () => import('./local-commands.ts'),
  () => import('./ui.ts'),
  () => import('./cloud-commands.ts'),
  () => import('./study-commands.ts'),
  () => import('./stack-commands.ts'),
];

export async function main(argv: string[]): Promise<void> {
  const program = new Command('cosmicai')
    .description('CosmicAI Bench: AstroMAE redshift inference, locally and on AWS Step Functions')
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
    process.exitCode = 1;
  }
}
