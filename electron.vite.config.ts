import { resolve } from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'electron-vite';

/**
 * main and preload are bundled for Node/Electron with every dependency left external (native modules such as
 * better-sqlite3 and serialport are loaded from node_modules, rebuilt for Electron by electron-builder);
 * the renderer is a plain React app built into out/renderer, which the runtime serves at /. out/main/cli.js is
 * the headless entry (scripts/built.mjs runs it, rebuilding first when the sources are newer).
 */
export default defineConfig({
  main: {
    build: {
      externalizeDeps: true,
      outDir: 'out/main',
      // index: the Electron main process; cli: the headless server and CLI (`npm run serve`, `npm run cli`),
      // the same runtime code in plain Node
      rollupOptions: { input: { index: resolve(__dirname, 'src/main/index.ts'), cli: resolve(__dirname, 'src/cli.ts') },
        // shared chunks beside the entries: the runtime finds resources/ and package.json relative to out/main
        output: { chunkFileNames: '[name]-[hash].js' },
      },
    },
  },
  preload: {
    build: {
      externalizeDeps: true,
      outDir: 'out/preload',
      rollupOptions: { input: { index: resolve(__dirname, 'src/preload/index.ts') }, output: { format: 'cjs', entryFileNames: '[name].cjs' } },
    },
  },
  renderer: {
    root: resolve(__dirname, 'src/renderer'),
    plugins: [react()],
    build: {
      outDir: resolve(__dirname, 'out/renderer'),
      emptyOutDir: true,
      rollupOptions: { input: resolve(__dirname, 'src/renderer/index.html') },
    },
  },
});
