import v8 from 'node:v8';
import vm from 'node:vm';

let gc: (() => void) | null | undefined;

/**
 * A full V8 garbage collection, when the runtime allows one. Large buffers that just became garbage (a 63 MB
 * model file read for inspection, a 100 MB partition that is done) are external memory V8 may keep for a long
 * time in an otherwise idle heap; the run's peak RSS is a high-water mark, so they are released at the points
 * where they are known to be dead instead. Without --expose-gc the flag is turned on at run time, once.
 */
export function collectGarbage(): void {
  if (gc === undefined) {
    try {
      v8.setFlagsFromString('--expose-gc');
      gc = vm.runInNewContext('gc') as () => void;
    } catch {
      gc = null;
    }
  }
  gc?.();
}
