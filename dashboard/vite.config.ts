import { fileURLToPath } from 'node:url';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vite';

// `npm run dev -w dashboard` proxies the edge's endpoints; TICKSTREAM_EDGE picks another edge.
const edge = process.env.TICKSTREAM_EDGE ?? 'http://127.0.0.1:8080';

export default defineConfig({
  plugins: [svelte()],
  resolve: {
    // The wire codec is bundled from source: dev needs no build of schemas/.
    alias: {
      '@tickstream/schemas': fileURLToPath(new URL('../schemas/src/index.ts', import.meta.url)),
      '@tickstream/client': fileURLToPath(new URL('../client/src/index.ts', import.meta.url)),
    },
  },
  worker: { format: 'es' },
  build: { target: 'es2022', outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 1500 },
  server: {
    proxy: {
      '/ws': { target: edge.replace(/^http/, 'ws'), ws: true },
      '/api': edge,
      '/health': edge,
    },
  },
});
