/** Everything a host process (Electron main) needs from the Node side, loaded from one module. */
export { createNodeServices, type NodeServices, type PlatformHandlers } from './services/index.ts';
export { createDispatcher } from '../common/dispatcher.ts';
export { hintFor } from './hints.ts';
export { CSP } from './browser-host.ts';
export { ensureRendererBuilt, RENDERER_OUT } from './renderer-build.ts';
