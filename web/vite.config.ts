import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/**
 * `npm run dev -w web` serves the client with hot reload on :5173 and sends
 * the API (HTTP and the graphql-ws socket) to a running gateway, by default
 * the embedded one `npm start` opens on :4000 (PARLEY_GATEWAY to change it).
 * The gateway itself serves the built client (web/dist) at `/`.
 */
const gateway = process.env.PARLEY_GATEWAY ?? 'http://127.0.0.1:4000';

export default defineConfig({
  plugins: [react()],
  resolve: {
    // One copy of graphql (the CommonJS build Node and the gateway use), as in the root vitest config.
    alias: { graphql: 'graphql/index.mjs' },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    // The budget is 250 KB of gzipped JavaScript before the first paint; a chunk over 500 KB raw is a warning sign.
    chunkSizeWarningLimit: 500,
    sourcemap: false,
  },
  server: {
    host: '127.0.0.1',
    proxy: {
      '/graphql': { target: gateway, ws: true, changeOrigin: false },
      '/api': { target: gateway, changeOrigin: false },
      '/v1': { target: gateway, changeOrigin: false },
    },
  },
});
