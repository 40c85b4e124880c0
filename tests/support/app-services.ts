/**
 * The app API as the tests drive it: the Node services behind the real dispatcher, every event they emit recorded,
 * and the profile input that points at the local AWS servers (tests/infra/local-aws.ts).
 */
import { createDispatcher } from '../../app/common/dispatcher.ts';
import { createNodeServices, type NodeServices, type NodeServicesOptions } from '../../app/node/services/index.ts';
import type { LocalAws } from '../infra/local-aws.ts';
import { localAwsEndpoints } from './local-aws-profile.ts';

export type RecordedEvent = { channel: string; payload: any };

export interface AppApi {
  services: NodeServices;
  /** Calls a method through the dispatcher; a refused call throws an Error carrying the error's code and details. */
  call: (method: string, input?: unknown) => Promise<any>;
  /** Every event the services emitted, in order. */
  events: RecordedEvent[];
  /** The first event on `channel` whose payload[key] is `id`, whether it was already emitted or comes later. */
  nextEvent<T>(channel: string, key: string, id: string): Promise<T>;
}

export function startAppApi(opts: NodeServicesOptions): AppApi {
  const services = createNodeServices(opts);
  const events: RecordedEvent[] = [];
  services.hub.listen((channel, payload) => events.push({ channel, payload }));
  const dispatch = createDispatcher(services.handlers);
  const call = async (method: string, input?: unknown) => {
    const r = await dispatch(method, input ?? {}, undefined);
    if (!r.ok) throw Object.assign(new Error(r.error.message), r.error);
    return r.value;
  };
  const nextEvent = <T>(channel: string, key: string, id: string) =>
    new Promise<T>((resolve) => {
      const seen = events.find((e) => e.channel === channel && e.payload[key] === id);
      if (seen) return resolve(seen.payload);
      const off = services.hub.listen((ch, payload) => {
        if (ch === channel && (payload as Record<string, unknown>)[key] === id) {
          off();
          resolve(payload as T);
        }
      });
    });
  return { services, call, events, nextEvent };
}

/** The `cloud.addProfile` input for a profile with pasted keys that reaches every local AWS server. */
export function localAwsProfileInput(aws: LocalAws, name = 'local') {
  return {
    name,
    credentials: { source: 'static', ...aws.credentials },
    region: 'us-east-1',
    bucket: aws.bucket,
    stateMachineArn: aws.stateMachineArn,
    inferenceLambdaName: aws.functions.inference,
    endpoints: localAwsEndpoints(aws),
  };
}
