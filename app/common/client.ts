import { ApiError, describeZodError, Envelope, type ApiErrorData } from './contract/errors.ts';
import { contract, getChannel, getMethod, type Api } from './contract/index.ts';

/** How the client reaches the Node side: IPC in Electron, HTTP + server-sent events in the browser. */
export interface Transport {
  /** Resolves with the result envelope; rejects only when the transport itself fails. */
  invoke(method: string, input: unknown): Promise<unknown>;
  subscribe(channel: string, cb: (payload: unknown) => void): () => void;
}

export interface ClientOptions {
  /**
   * What a failed call rejects with. Default: an ApiError. The Electron preload rejects with the plain data instead,
   * because contextBridge drops custom properties (code, hint, file) from Error objects.
   */
  reject?: (error: ApiErrorData) => unknown;
}

/** Builds the typed API from the contract over any transport, checking every result and event against the contract. */
export function createClient(transport: Transport, options: ClientOptions = {}): Api {
  const reject = options.reject ?? ((e: ApiErrorData) => new ApiError(e));
  const api: Record<string, unknown> = {};
  for (const [domainName, def] of Object.entries(contract)) {
    const methods: Record<string, (input?: unknown) => Promise<unknown>> = {};
    for (const methodName of Object.keys(def.methods)) {
      const full = `${domainName}.${methodName}`;
      methods[methodName] = (input?: unknown) => call(full, input ?? {});
    }
    api[domainName] = methods;
  }
  async function call(name: string, input: unknown): Promise<unknown> {
    const def = getMethod(name)!;
    let raw: unknown;
    try {
      raw = await transport.invoke(name, input);
    } catch (err) {
      throw reject({
        code: 'TRANSPORT',
        message: `Could not reach the app: ${err instanceof Error ? err.message : String(err)}`,
        hint: 'Check that CosmicAI Bench is still running, then reload this page.',
      });
    }
    const env = Envelope.safeParse(raw);
    if (!env.success)
      throw reject({ code: 'BAD_RESPONSE', message: `Malformed reply to ${name}: ${describeZodError(env.error)}` });
    if (!env.data.ok) throw reject(env.data.error);
    const out = def.output.safeParse(env.data.value);
    if (!out.success)
      throw reject({ code: 'BAD_RESPONSE', message: `Unexpected reply to ${name}: ${describeZodError(out.error)}` });
    return out.data;
  }
  api.on = (channelName: string, cb: (payload: unknown) => void) => {
    const def = getChannel(channelName);
    if (!def) throw new Error(`Unknown channel "${channelName}"`);
    return transport.subscribe(channelName, (payload) => {
      const parsed = def.payload.safeParse(payload);
      if (parsed.success) cb(parsed.data);
      else console.warn(`Dropped a malformed ${channelName} event: ${describeZodError(parsed.error)}`);
    });
  };
  return api as Api;
}
