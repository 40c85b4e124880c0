import { makeClients, type AwsClients } from '../cloud/aws-clients.ts';
import { LambdaMemorySession, restoreLeftoverMemory, type LeftoverOutcome } from '../cloud/lambda-memory-journal.ts';
import { memoryFunctionFor } from '../cloud/lambda-memory.ts';
import type { ProfileStore } from '../cloud/profiles.ts';
import type { SecretCipher } from '../cloud/secret-cipher.ts';
import type { StudyState } from './study-store.ts';

/**
 * What the CLI and the app's study queue share for a Lambda memory sweep: restoring what a stopped sweep left
 * behind before a study starts, and the session that sets the function's memory for a study's jobs.
 */

/** Restores every function a dead process left at a sweep's memory; returns what to tell the user. */
export async function restoreLeftoverSweeps(
  dataDir: string,
  profiles: ProfileStore,
  cipher?: SecretCipher,
): Promise<LeftoverOutcome[]> {
  return restoreLeftoverMemory(dataDir, async (name) => makeClients(await profiles.getStored(name), { cipher }));
}

/** The memory session for a study whose pending cloud jobs sweep the memory; undefined when none do. */
export async function memorySessionFor(
  state: StudyState,
  clients: AwsClients,
  dataDir: string,
  onMessage: (message: string) => void,
): Promise<LambdaMemorySession | undefined> {
  if (!state.jobs.some((j) => j.lambdaMemoryMb !== null && j.status !== 'done')) return undefined;
  const fn = await memoryFunctionFor(clients);
  onMessage(`Lambda memory sweep on ${fn.functionName} (${fn.how}); its memory is restored when the study ends.`);
  return new LambdaMemorySession(clients, dataDir, fn.functionName, {
    purpose: `study ${state.id}`,
    onEvent: (e) => onMessage(e.message),
  });
}
