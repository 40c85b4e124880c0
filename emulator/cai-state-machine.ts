/**
 * The study's state machine ("DataParallel-CosmicAI") as ../shared/cai/README.md reconstructs it from the handlers:
 * Initialize (Lambda `data-parallel-init`) → Distributed (a Distributed Map over Initialize's `body`, each item
 * invoking `cosmic-executor`, results discarded) → Summarize (Lambda `data-parallel-summarize`, given Initialize's
 * output). The ASL itself is not published.
 */
export const CAI_FUNCTIONS = {
  initializer: 'data-parallel-init',
  executor: 'cosmic-executor',
  summarizer: 'data-parallel-summarize',
} as const;

export const CAI_STATE_MACHINE_NAME = 'DataParallel-CosmicAI';

export function caiStateMachineDefinition(
  fns: { initializer: string; executor: string; summarizer: string } = CAI_FUNCTIONS,
): Record<string, unknown> {
  const invoke = (fn: string) => ({
    Resource: 'arn:aws:states:::lambda:invoke',
    OutputPath: '$.Payload',
    Parameters: { FunctionName: fn, 'Payload.$': '$' },
  });
  return {
    StartAt: 'Initialize',
    States: {
      Initialize: { Type: 'Task', ...invoke(fns.initializer), Next: 'Distributed' },
      Distributed: {
        Type: 'Map',
        ItemsPath: '$.body',
        ResultPath: null,
        Next: 'Summarize',
        ItemProcessor: {
          ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
          StartAt: 'Model Inference',
          States: { 'Model Inference': { Type: 'Task', ...invoke(fns.executor), End: true } },
        },
      },
      Summarize: { Type: 'Task', ...invoke(fns.summarizer), End: true },
    },
  };
}
