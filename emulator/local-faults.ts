/**
 * Fault injection for the local AWS stand-ins: only faults a real server produces but a local one would not on
 * its own (throttling, expired or refused credentials, a Lambda that crashes or hangs). Everything else the tests
 * exercise is real behaviour of the servers.
 */

export type LocalService = 'sfn' | 'sts' | 'logs' | 'lambda';

/** How requests are authenticated: each service answers with its own AWS error for the chosen fault. */
export type CredentialFault = 'expired' | 'access-denied' | 'invalid';

export interface RankFailure {
  /** The error type Lambda reports (errorType), e.g. "Error" or "Sandbox.Timedout". */
  name: string;
  message: string;
}

export class LocalFaults {
  private throttles = new Map<LocalService | '*', number>();
  private throttledCount = new Map<LocalService, number>();
  private credentialFault: CredentialFault | null = null;
  private rankFailures = new Map<number, RankFailure>();
  private holds: Array<Promise<void>> = [];
  private releasers = new Set<() => void>();
  private denied = new Set<string>();
  private lambdaConflicts = 0;
  private lambdaUpdateFailure: { reasonCode: string; reason: string } | null = null;

  /** The next n requests (to `service`, or to any local service) answer ThrottlingException. */
  throttleNext(n: number, service?: LocalService): void {
    this.throttles.set(service ?? '*', (this.throttles.get(service ?? '*') ?? 0) + n);
  }

  /** How many requests were answered with a throttling error so far. */
  throttled(service?: LocalService): number {
    if (service) return this.throttledCount.get(service) ?? 0;
    let n = 0;
    for (const v of this.throttledCount.values()) n += v;
    return n;
  }

  /** Called by the servers for every request: true when this one must be throttled. */
  takeThrottle(service: LocalService): boolean {
    for (const key of [service, '*'] as const) {
      const left = this.throttles.get(key) ?? 0;
      if (left > 0) {
        this.throttles.set(key, left - 1);
        this.throttledCount.set(service, (this.throttledCount.get(service) ?? 0) + 1);
        return true;
      }
    }
    return false;
  }

  /** Every following request to sfn/sts/logs fails with this credential error, until cleared with null. */
  setCredentialFault(fault: CredentialFault | null): void {
    this.credentialFault = fault;
  }

  get credentials(): CredentialFault | null {
    return this.credentialFault;
  }

  /** The inference Lambda invocation for `rank` throws, as a crashing function would. */
  failRank(rank: number, failure: RankFailure = { name: 'Error', message: `injected failure of rank ${rank}` }): void {
    this.rankFailures.set(rank, failure);
  }

  rankFailure(rank: number): RankFailure | undefined {
    return this.rankFailures.get(rank);
  }

  clearRankFailures(): void {
    this.rankFailures.clear();
  }

  /**
   * Inference invocations that start from now on wait (inside the invocation, as a slow function would) until the
   * returned release function is called. Lets a test observe a run mid-flight and stop it.
   */
  holdInvocations(): () => void {
    let release!: () => void;
    const p = new Promise<void>((r) => (release = r));
    this.holds.push(p);
    const releaser = () => {
      this.holds = this.holds.filter((h) => h !== p);
      this.releasers.delete(releaser);
      release();
    };
    this.releasers.add(releaser);
    return releaser;
  }

  /** Releases every hold (used on shutdown, so a test that failed mid-hold cannot hang its teardown). */
  releaseAll(): void {
    this.releasers.forEach((r) => r());
  }

  /** Awaited by the Lambda emulator at the start of each invocation. */
  async waitWhileHeld(): Promise<void> {
    while (this.holds.length > 0) await Promise.all(this.holds);
  }

  /**
   * IAM: requests for this action (e.g. "lambda:UpdateFunctionConfiguration") answer AccessDeniedException, as a
   * policy without it would; `allowAction` lifts it.
   */
  denyAction(action: string): void {
    this.denied.add(action);
  }

  allowAction(action: string): void {
    this.denied.delete(action);
  }

  isDenied(action: string): boolean {
    return this.denied.has(action);
  }

  /** The next n UpdateFunctionConfiguration calls answer ResourceConflictException (another update in progress). */
  conflictNextLambdaUpdates(n: number): void {
    this.lambdaConflicts += n;
  }

  takeLambdaConflict(): boolean {
    if (this.lambdaConflicts <= 0) return false;
    this.lambdaConflicts--;
    return true;
  }

  /** The next accepted update ends with LastUpdateStatus "Failed" (memory unchanged), with this reason. */
  failNextLambdaUpdate(reasonCode = 'InternalError', reason = 'injected failure of the function update'): void {
    this.lambdaUpdateFailure = { reasonCode, reason };
  }

  takeLambdaUpdateFailure(): { reasonCode: string; reason: string } | null {
    const f = this.lambdaUpdateFailure;
    this.lambdaUpdateFailure = null;
    return f;
  }
}
