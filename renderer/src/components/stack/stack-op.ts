import { useEffect, useRef, useState } from 'react';
import { api } from '../../api.ts';
import type { RedactedProfile } from '../../../../base/profile-schema.ts';
import type {
  PackageReport,
  StackEventView,
  StackFinished,
  StackProgressView,
} from '../../../../app/common/contract/index.ts';

/** A stack operation as the UI follows it: which stack a profile came from, its live events, its progress line. */

/** The stack a profile was made from, when it was made by "Deploy CAI stack" (state machine `<stack>-cai`, Lambda `<stack>-inference`). */
export function stackNameOf(p: RedactedProfile): string | null {
  const m = /:stateMachine:([A-Za-z][A-Za-z0-9-]*)-cai$/.exec(p.stateMachineArn);
  return m && p.inferenceLambdaName === `${m[1]}-inference` ? m[1] : null;
}

/** An operation the Node side is still following (e.g. started before this screen was left). */
export type ActiveStackOp = Awaited<ReturnType<typeof api.stack.active>>['ops'][number];

/** Bytes as MB with one decimal. */
export const mb = (n: number) => `${(n / 2 ** 20).toFixed(1)} MB`;

/** Follows one stack operation's events from the progress channel; filtered by stack name (one operation per stack at a time). */
export function useStackOp(stackName: string | null, initialEvents: StackEventView[] = []) {
  const [events, setEvents] = useState<StackEventView[]>(initialEvents);
  const [last, setLast] = useState<StackProgressView | null>(null);
  const [finished, setFinished] = useState<StackFinished | null>(null);
  const [packaged, setPackaged] = useState<PackageReport | null>(null);
  const name = useRef(stackName);
  name.current = stackName;
  useEffect(() => {
    const offP = api.on('stack.progress', (p) => {
      if (p.stackName !== name.current) return;
      if (p.kind === 'event' && p.event)
        setEvents((cur) => (cur.some((e) => e.eventId === p.event!.eventId) ? cur : [...cur, p.event!]));
      else setLast(p);
      if (p.packaged) setPackaged(p.packaged);
    });
    const offF = api.on('stack.finished', (f) => {
      if (f.stackName === name.current) setFinished(f);
    });
    return () => {
      offP();
      offF();
    };
  }, []);
  const reset = () => {
    setEvents([]);
    setLast(null);
    setFinished(null);
    setPackaged(null);
  };
  return { events, last, finished, packaged: finished?.packaged ?? packaged, reset };
}

export function progressLine(p: StackProgressView | null, events: StackEventView[], stackName: string): string {
  const stackEvent = [...events].reverse().find((e) => e.logicalId === stackName);
  if (p?.kind === 'upload' && p.upload)
    return `Uploading ${p.upload.key}: ${p.upload.phase}${p.upload.bytesTotal ? ` ${mb(p.upload.bytesDone)} / ${mb(p.upload.bytesTotal)}` : ''}`;
  if (stackEvent && (!p || p.kind === 'phase' || p.kind === 'event'))
    return `${p?.message ? `${p.message} · ` : ''}stack ${stackEvent.status}`;
  if (p?.kind === 'packaged' && p.packaged)
    return `Packaged: ${mb(p.packaged.unzippedBytes)} unzipped (limit ${mb(p.packaged.limitBytes)}), ${mb(p.packaged.zippedBytes)} zipped`;
  return p?.message ?? 'Starting…';
}
