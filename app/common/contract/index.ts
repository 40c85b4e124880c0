import type { z } from 'zod';
import type { ChannelDef, DomainDef, MethodDef } from './define.ts';
import { runs } from './runs.ts';
import { history } from './history.ts';
import { settings } from './settings.ts';
import { system } from './system.ts';
import { cloud } from './cloud.ts';
import { study } from './study.ts';
import { stack } from './stack.ts';
import { demo } from './demo.ts';

/**
 * The one API contract between the UI and the Node side (Electron main or the browser host).
 * A domain adds itself with one line here; its methods are called `<domain>.<method>`, its channels `<domain>.<channel>`.
 */
export const contract = {
  runs,
  history,
  settings,
  system,
  cloud,
  study,
  stack,
  demo,
} satisfies Record<string, DomainDef>;

export type Contract = typeof contract;
type DomainName = keyof Contract & string;

type MethodsOf<D extends DomainName> = Contract[D]['methods'];
type ChannelsOf<D extends DomainName> = Contract[D]['channels'];

/** Every method by its full name, e.g. `'runs.startLocal'`. */
export type MethodMap = UnionToIntersection<
  { [D in DomainName]: { [M in keyof MethodsOf<D> & string as `${D}.${M}`]: MethodsOf<D>[M] } }[DomainName]
>;
export type MethodName = keyof MethodMap & string;
export type ChannelMap = UnionToIntersection<
  { [D in DomainName]: { [C in keyof ChannelsOf<D> & string as `${D}.${C}`]: ChannelsOf<D>[C] } }[DomainName]
>;
export type ChannelName = keyof ChannelMap & string;

export type ChannelPayload<C extends ChannelName> = ChannelMap[C] extends ChannelDef<infer P> ? z.output<P> : never;

type DomainApi<D extends DomainName> = {
  [M in keyof MethodsOf<D> & string]: MethodsOf<D>[M] extends MethodDef<infer I, infer O>
    ? (
        ...args: Record<never, never> extends z.input<I> ? [input?: z.input<I>] : [input: z.input<I>]
      ) => Promise<z.output<O>>
    : never;
};

/** The typed API the UI calls: `api.runs.startLocal({...})`, `api.on('runs.progress', cb)`. */
export type Api = { [D in DomainName]: DomainApi<D> } & {
  /** Subscribes to a channel; returns the function that unsubscribes. */
  on<C extends ChannelName>(channel: C, cb: (payload: ChannelPayload<C>) => void): () => void;
};

type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;

const methodTable = new Map<string, MethodDef>();
const channelTable = new Map<string, ChannelDef>();
for (const [d, def] of Object.entries(contract) as Array<[string, DomainDef]>) {
  for (const [m, md] of Object.entries(def.methods)) methodTable.set(`${d}.${m}`, md);
  for (const [c, cd] of Object.entries(def.channels)) channelTable.set(`${d}.${c}`, cd);
}

export const methodNames = (): string[] => [...methodTable.keys()];
export const channelNames = (): string[] => [...channelTable.keys()];
export const getMethod = (name: string): MethodDef | undefined => methodTable.get(name);
export const getChannel = (name: string): ChannelDef | undefined => channelTable.get(name);

export * from './define.ts';
export * from './errors.ts';
export * from './runs.ts';
export * from './history.ts';
export * from './settings.ts';
export * from './system.ts';
export * from './cloud.ts';
export * from './study.ts';
export * from './study-recommend.ts';
export * from './stack.ts';
export * from './demo.ts';
