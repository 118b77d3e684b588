/**
 * The desk console, served at /console/. Start: read /config.json (the front door's), set up
 * log-in, the API client, the language (the shell's catalogue and every section's), Element Plus
 * and the routes, then mount. The sections are listed in `sections/index.ts`.
 */
import { createApp } from 'vue'
import { createPinia } from 'pinia'
import ElementPlus from 'element-plus'
import 'element-plus/dist/index.css'
import './console.css'
import { createPagedApiClient } from '@/api/client'
import { createAuthService } from '@/auth/auth'
import { loadRuntimeConfig } from '@/auth/runtimeConfig'
import { savedLocale } from '@/i18n'
import App from './App.vue'
import StartupError from './StartupError.vue'
import { applyLocale, createConsoleI18n, elementLocale } from './i18n'
import { BASE, createConsoleRouter } from './router'
import { CONSOLE } from './services'
import { createConsoleSession } from './session'

async function start(): Promise<void> {
  const locale = savedLocale()
  const i18n = createConsoleI18n({ locale })
  applyLocale(locale)

  let config
  try {
    config = await loadRuntimeConfig()
  } catch (cause) {
    console.error('Xinyi: cannot start without /config.json', cause)
    createApp(StartupError).use(i18n).mount('#app')
    return
  }

  const session = createConsoleSession()
  // Filled in below: the auth listeners need the router, the router needs the auth service.
  let onExpired = (): void => undefined
  const auth = createAuthService(config, window.location.origin, { base: BASE }, {
    onUser: (user) => session.setUser(user),
    onExpired: () => onExpired(),
  })
  const api = createPagedApiClient({
    getToken: () => auth.accessToken(),
    onUnauthorized: () => void auth.expire(),
  })
  const router = createConsoleRouter({ session, auth })
  onExpired = () => {
    const current = router.currentRoute.value
    if (current.name === 'login') return
    void router.replace({ name: 'login', query: { expired: '1', returnTo: current.fullPath } })
  }

  const app = createApp(App)
  app.use(createPinia()).use(i18n).use(router).use(ElementPlus, { locale: elementLocale(locale) })
  app.provide(CONSOLE, { api, auth, session })
  app.mount('#app')
}

void start()
