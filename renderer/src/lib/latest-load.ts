import { useRef } from 'react';

/**
 * For loads that overlap (every job event starts one): `begin()` marks a new load and returns a check that is true
 * only while no newer load has begun, so an older reply arriving last cannot overwrite a newer one.
 */
export function latestGate(): () => () => boolean {
  let seq = 0;
  return () => {
    const mine = ++seq;
    return () => mine === seq;
  };
}

/** latestGate for a component: one gate for its lifetime. */
export function useLatestLoad(): () => () => boolean {
  const gate = useRef<(() => () => boolean) | null>(null);
  gate.current ??= latestGate();
  return gate.current;
}
