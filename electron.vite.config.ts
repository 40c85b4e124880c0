import { defineConfig } from 'electron-vite';
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

// `electron-vite build`: out/main/index.js (the main process with the Node side bundled in: engine, cloud, study, app
// services; npm dependencies such as onnxruntime-node stay external) and out/main/worker.js (the inference worker),
// out/preload/index.cjs (CommonJS, self-contained: the sandbox allows no require of node_modules), out/renderer (the
// same bundle the browser host serves).
export default defineConfig({
  main: {
    build: {
      outDir: here('./out/main'),
      rollupOptions: {
        input: { index: here('./electron/main.ts'), worker: here('./engine/run/worker.ts') },
        // Build tools used only from a checkout (rebuilding the UI, packaging the Lambda code) stay external.
        external: ['vite', 'esbuild'],
        output: { chunkFileNames: '[name]-[hash].js' },
      },
    },
  },
  preload: {
    build: {
      outDir: here('./out/preload'),
      externalizeDeps: false,
      rollupOptions: {
        input: { index: here('./electron/preload.ts') },
        external: ['electron'],
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: here('./renderer'),
    base: './',
    plugins: [react()],
    build: {
      outDir: here('./out/renderer'),
      emptyOutDir: true,
      chunkSizeWarningLimit: 2000,
      rollupOptions: { input: { index: here('./renderer/index.html') } },
    },
  },
});
