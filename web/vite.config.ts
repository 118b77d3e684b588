/**
 * One Vite project, one page per app, each built on its own so that everything a page loads lies
 * under its own path:
 *
 *   vite build --mode h5       → dist/h5/      served at /h5/       (residents' phone pages)
 *   vite build --mode console  → dist/console/ served at /console/  (desk console, issue 14)
 *
 * `vite` (dev) serves both pages from one server at /h5/ and /console/ and proxies the APIs and
 * /config.json to the running platform (see README.md).
 */
import { readFileSync, existsSync } from 'node:fs'
import { fileURLToPath, URL } from 'node:url'
import { resolve } from 'node:path'
import type { Plugin, ProxyOptions } from 'vite'
import { defineConfig } from 'vitest/config'
import vue from '@vitejs/plugin-vue'

export const APPS = ['h5', 'console'] as const
type App = (typeof APPS)[number]

const here = fileURLToPath(new URL('.', import.meta.url))
const SERVICES = { tenant: 'TENANT', ledger: 'LEDGER', ticketing: 'TICKETING', microfund: 'MICROFUND' }

/** Ports from deploy/ports.env, the platform's one list of local addresses. */
function platformPorts(): Record<string, string> {
  const file = resolve(here, '../deploy/ports.env')
  if (!existsSync(file)) return {}
  const ports: Record<string, string> = {}
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const match = /^([A-Z_]+)=(\d+)\s*$/.exec(line)
    if (match?.[1] && match[2]) ports[match[1]] = match[2]
  }
  return ports
}

/**
 * Dev proxy. With XINYI_FRONT_DOOR (e.g. http://127.0.0.1:8080) everything goes through the
 * platform's nginx; without it each /api/<service> goes straight to the service's HTTP port and
 * /config.json is answered here, as the front door would.
 */
function devProxy(): { proxy: Record<string, ProxyOptions>; plugins: Plugin[] } {
  const frontDoor = process.env.XINYI_FRONT_DOOR
  if (frontDoor) {
    return {
      proxy: { '/api': { target: frontDoor }, '/config.json': { target: frontDoor } },
      plugins: [],
    }
  }
  const ports = platformPorts()
  const proxy: Record<string, ProxyOptions> = {}
  for (const [service, prefix] of Object.entries(SERVICES)) {
    const port = ports[`${prefix}_HTTP_PORT`]
    if (!port) continue
    proxy[`/api/${service}/`] = {
      target: `http://127.0.0.1:${port}`,
      rewrite: (path) => path.slice(`/api/${service}`.length),
    }
  }
  const config = {
    keycloakUrl: process.env.XINYI_KEYCLOAK_URL ?? `http://127.0.0.1:${ports.KEYCLOAK_PORT ?? '18080'}`,
    realm: 'xinyi',
    clientId: 'xinyi-web',
  }
  const runtimeConfig: Plugin = {
    name: 'xinyi-dev-runtime-config',
    configureServer(server) {
      server.middlewares.use('/config.json', (_req, res) => {
        res.setHeader('Content-Type', 'application/json')
        res.end(JSON.stringify(config))
      })
    },
  }
  return { proxy, plugins: [runtimeConfig] }
}

/**
 * In dev, /h5/anything (a client-side route such as /h5/auth/callback) answers /h5/index.html, whose
 * script (`../src/…`, relative for the builds rooted at h5/) is made absolute so that it loads from
 * any depth of route.
 */
function appFallback(): Plugin {
  return {
    name: 'xinyi-app-fallback',
    transformIndexHtml: {
      order: 'pre',
      handler: (html, ctx) => (ctx.server ? html.replace(/src="\.\.\/src\//g, 'src="/src/') : html),
    },
    configureServer(server) {
      server.middlewares.use((req, _res, next) => {
        const path = (req.url ?? '').split('?')[0] ?? ''
        for (const app of APPS) {
          const isRoute = path.startsWith(`/${app}/`) && !/\.[a-z0-9]+$/i.test(path)
          if (isRoute || path === `/${app}`) req.url = `/${app}/index.html`
        }
        next()
      })
    },
  }
}

/**
 * Vant's icon font names a copy on a CDN (at.alicdn.com) beside the copy inlined in its CSS: the
 * pages make no request to third parties (and the front door's CSP would refuse it), so the CDN
 * source is dropped and the inlined font is used.
 */
function noThirdPartyFonts(): Plugin {
  const remoteSource = /,\s*url\((?:https?:)?\/\/[^)]*\)\s*format\("[^"]*"\)/g
  return {
    name: 'xinyi-no-third-party-fonts',
    enforce: 'pre',
    transform(code, id) {
      if (!/node_modules\/vant\/.*\.css$/.test(id.split('?')[0] ?? '')) return null
      return { code: code.replace(remoteSource, ''), map: null }
    },
  }
}

export default defineConfig(({ command, mode }) => {
  const app = (APPS as readonly string[]).includes(mode) ? (mode as App) : undefined
  if (command === 'build' && !app) {
    throw new Error(`build one app at a time: vite build --mode <${APPS.join('|')}>`)
  }
  const dev = devProxy()
  return {
    root: app ? resolve(here, app) : here,
    base: app ? `/${app}/` : '/',
    publicDir: false,
    envDir: here,
    plugins: [vue(), noThirdPartyFonts(), appFallback(), ...(command === 'serve' ? dev.plugins : [])],
    resolve: { alias: { '@': resolve(here, 'src') } },
    // Compile-time flags of Vue and vue-i18n: the pages use the Composition API only, so the
    // Options API and vue-i18n's legacy API and global components stay out of the bundle.
    define: {
      __VUE_OPTIONS_API__: 'false',
      __VUE_I18N_FULL_INSTALL__: 'false',
      __VUE_I18N_LEGACY_API__: 'false',
      __INTLIFY_PROD_DEVTOOLS__: 'false',
    },
    build: {
      outDir: resolve(here, 'dist', app ?? 'unused'),
      emptyOutDir: true,
      target: 'es2020',
      sourcemap: false,
      // terser (three passes, module scope) cuts the bundle by about 1% more than esbuild's minifier:
      // the residents' JavaScript has a 300 kB gzipped budget.
      minify: 'terser',
      // Every browser the pages target (es2020 and up) preloads modules itself: no polyfill.
      modulePreload: { polyfill: false },
      terserOptions: {
        module: true,
        ecma: 2020,
        compress: { passes: 3, ecma: 2020 },
        format: { comments: false },
      },
      chunkSizeWarningLimit: 600,
    },
    server: { host: '127.0.0.1', port: 5173, strictPort: true, proxy: dev.proxy },
    test: {
      root: here,
      environment: 'happy-dom',
      include: ['src/**/*.test.ts'],
      restoreMocks: true,
      // The first mount of a file transforms Vant and the pages: slow on a two-core machine.
      testTimeout: 20_000,
      // Vant's modules import their CSS: let Vite process them rather than Node.
      server: { deps: { inline: ['vant'] } },
    },
  }
})
