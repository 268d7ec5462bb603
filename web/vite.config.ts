import { defineConfig } from 'vite';

/** Where `npm run dev -w web` sends `/api` calls: the gateway on its default port. */
const GATEWAY = process.env.VOXGATE_GATEWAY_URL ?? 'http://127.0.0.1:1024';

export default defineConfig({
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // A strict CSP (`script-src 'self'`) is coming: no inline module-preload polyfill.
    modulePreload: { polyfill: false },
  },
  server: {
    proxy: { '/api': { target: GATEWAY, changeOrigin: false } },
  },
});
