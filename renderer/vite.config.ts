// Vite build of the React renderer. Served by the core's HTTP server from dist/renderer (browser and
// lab-server mode) and loaded by Electron through its app:// protocol, hence relative asset URLs.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: './',
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('../dist/renderer', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    // Inline assets would become data: URLs; keep everything as files so the CSP stays 'self'.
    assetsInlineLimit: 0,
  },
});
