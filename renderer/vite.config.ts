import { defineConfig, type Plugin } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));

/**
 * The page's own Content-Security-Policy, added to production builds only (the dev server injects
 * styles inline). The bridge and the Electron window send their own policy as well; both apply.
 */
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob: spice-img:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

function cspMeta(): Plugin {
  return {
    name: 'spice-csp-meta',
    apply: 'build',
    transformIndexHtml: () => [{ tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: CSP }, injectTo: 'head-prepend' }],
  };
}

/**
 * Dev server against a running bridge: SPICE_BRIDGE_URL=<the address `npm run serve` printed>
 * npm run dev:renderer. The socket and images are proxied there with the token as a bearer header.
 */
function bridgeProxy(): Record<string, object> | undefined {
  const raw = process.env.SPICE_BRIDGE_URL;
  if (!raw) return undefined;
  const url = new URL(raw);
  const token = url.searchParams.get('token') ?? '';
  const common = { target: url.origin, changeOrigin: true, headers: { Authorization: `Bearer ${token}` } };
  return { '/ws': { ...common, ws: true }, '/img': common, '/api': common };
}

export default defineConfig({
  root: here,
  // Relative asset URLs so the same build loads from the Electron app scheme and from the HTTP bridge.
  base: './',
  plugins: [svelte({ compilerOptions: { runes: true }, emitCss: true }), cspMeta()],
  resolve: {
    alias: {
      $contract: fileURLToPath(new URL('../preload/contract', import.meta.url)),
    },
  },
  build: {
    outDir: fileURLToPath(new URL('../dist/renderer', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    // Every asset is a file served from 'self' (no data: URLs for scripts or fonts).
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
  server: { port: 5173, strictPort: false, proxy: bridgeProxy() },
});
