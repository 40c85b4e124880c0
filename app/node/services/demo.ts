import { ApiError, DEMO_PROFILE_NAME, type DemoStatus } from '../../common/contract/index.ts';
import { startEmulator, type Emulator } from '../../../emulator/index.ts';
import type { ProfileStore } from '../../../cloud/profiles.ts';

export interface DemoServiceOptions {
  profiles: ProfileStore;
  /** Starts the emulator (tests may pass a wrapper); default: emulator/index.ts with stack "cosmicai". */
  start?: typeof startEmulator;
}

/**
 * The cloud demo that needs no AWS: starts the local emulator (our own stack, loopback, free ports) and saves a
 * profile named DEMO_PROFILE_NAME that reaches it; stops it on `stop()` and when the host shuts down.
 * One emulator at a time; a second start while one runs returns its status.
 */
export class DemoService {
  private emulator: Emulator | null = null;
  private starting: Promise<Emulator> | null = null;
  private startedAt: string | null = null;

  constructor(private readonly opts: DemoServiceOptions) {}

  status(): DemoStatus {
    const e = this.emulator;
    return {
      running: !!e,
      starting: !!this.starting,
      profile: e ? DEMO_PROFILE_NAME : null,
      endpoints: e ? { ...e.profile.endpoints } : null,
      startedAt: e ? this.startedAt : null,
    };
  }

  async start(): Promise<DemoStatus> {
    if (this.emulator) return this.status();
    if (!this.starting) {
      this.starting = this.launch().finally(() => {
        this.starting = null;
      });
    }
    await this.starting;
    return this.status();
  }

  private async launch(): Promise<Emulator> {
    let emu: Emulator;
    try {
      // The servers run in this process but start asynchronously (listen on port 0); nothing here blocks.
      emu = await (this.opts.start ?? startEmulator)({ stack: 'cosmicai', name: DEMO_PROFILE_NAME });
    } catch (err) {
      throw new ApiError({
        code: 'DEMO_START_FAILED',
        message: `The local emulator did not start: ${(err as Error).message}`,
        hint: 'It needs free loopback ports and a writable temp folder; close other emulators (npm run emulate) and try again.',
      });
    }
    try {
      await this.saveProfile(emu);
    } catch (err) {
      await emu.stop().catch(() => undefined);
      throw new ApiError({
        code: 'DEMO_PROFILE_FAILED',
        message: `The emulator started but its profile could not be saved: ${(err as Error).message}`,
        hint: 'Check that the data folder is writable (Settings shows where it is).',
      });
    }
    this.emulator = emu;
    this.startedAt = new Date().toISOString();
    return emu;
  }

  /** Saves (or replaces) the demo profile with the emulator's fresh endpoints. */
  private async saveProfile(emu: Emulator): Promise<void> {
    const { profiles } = this.opts;
    const exists = (await profiles.list()).some((p) => p.name === DEMO_PROFILE_NAME);
    if (exists) await profiles.remove(DEMO_PROFILE_NAME);
    await profiles.add({ ...emu.profile, name: DEMO_PROFILE_NAME });
  }

  async stop(): Promise<void> {
    if (this.starting) await this.starting.catch(() => undefined);
    const e = this.emulator;
    this.emulator = null;
    this.startedAt = null;
    if (e) await e.stop();
  }

  /** The demo profile outlives its emulator (it stays saved); a run through it while stopped gets a clear hint. */
  refuseIfStopped(profile: string): void {
    if (profile !== DEMO_PROFILE_NAME || this.emulator) return;
    throw new ApiError({
      code: 'DEMO_NOT_RUNNING',
      message: `The emulator behind the profile "${DEMO_PROFILE_NAME}" is not running.`,
      hint: 'Press "Try the cloud half offline (emulated)" to start it again (it gets new ports), then start the run.',
    });
  }

  /** Called by the services' shutdown: the emulator never outlives the app. */
  shutdown(): Promise<void> {
    return this.stop();
  }
}
