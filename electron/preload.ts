import { contextBridge, ipcRenderer } from 'electron';
import { createClient } from '../app/common/client.ts';

/**
 * Exposes `window.cosmicai`: the typed API built from the shared contract, over IPC. Failed calls reject with the
 * plain `{ code, message, hint, file }` object, because contextBridge strips custom properties from Error objects.
 */
const listeners = new Map<string, Set<(payload: unknown) => void>>();
ipcRenderer.on('cosmicai:event', (_e, channel: string, payload: unknown) => {
  listeners.get(channel)?.forEach((cb) => cb(payload));
});

const api = createClient(
  {
    invoke: (method, input) => ipcRenderer.invoke('cosmicai:invoke', method, input),
    subscribe(channel, cb) {
      let set = listeners.get(channel);
      if (!set) listeners.set(channel, (set = new Set()));
      set.add(cb);
      return () => void set.delete(cb);
    },
  },
  { reject: (e) => ({ name: 'ApiError', ...e }) },
);

contextBridge.exposeInMainWorld('cosmicai', api);
