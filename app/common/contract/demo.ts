import { z } from 'zod';
import { domain, Empty, method, Ok } from './define.ts';

/**
 * The cloud demo that needs no AWS: the local emulator (emulator/, our own stack) started on loopback by the app,
 * with a saved profile that reaches it. Every run through that profile is labelled "emulated on this computer".
 */

/** The profile name the demo saves (replaced on every start). */
export const DEMO_PROFILE_NAME = 'Emulated on this computer - demo';
/** The label shown wherever a run through an emulator profile is shown. */
export const EMULATED_LABEL = 'emulated on this computer';

export const DemoStatus = z.object({
  running: z.boolean(),
  /** Starting: the servers are coming up. */
  starting: z.boolean(),
  profile: z.string().nullable(),
  endpoints: z.object({ s3: z.string(), sfn: z.string(), sts: z.string(), logs: z.string() }).nullable(),
  startedAt: z.string().nullable(),
});
export type DemoStatus = z.infer<typeof DemoStatus>;

export const demo = domain({
  methods: {
    start: method(Empty, DemoStatus),
    status: method(Empty, DemoStatus),
    stop: method(Empty, Ok),
  },
});
