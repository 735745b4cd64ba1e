import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';

// The app is served by the rill binary under /hub/; the dev server proxies the Hub's API and the engine to a
// running `rill serve` (RILL_URL, default http://127.0.0.1:8080).
const backend = process.env.RILL_URL ?? 'http://127.0.0.1:8080';

export default defineConfig({
  base: '/hub/',
  plugins: [react()],
  build: { outDir: 'dist', sourcemap: false, chunkSizeWarningLimit: 600 },
  server: {
    proxy: {
      // changeOrigin false: the Hub refuses a state-changing call whose Origin names another host than Host
      // (403 cross_origin), so the proxy must pass the browser's Host through (the string shorthand rewrites it).
      '/hub/api': { target: backend, changeOrigin: false },
      '/connect': { target: backend, ws: true },
    },
  },
  test: { include: ['src/**/*.test.ts', 'src/**/*.test.tsx'], environment: 'node' },
});
