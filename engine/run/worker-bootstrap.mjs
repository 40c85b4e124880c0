// Worker threads do not inherit the tsx loader of the thread that starts them, so the worker registers it
// itself before loading the TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
