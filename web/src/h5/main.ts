/**
 * The residents' phone pages (H5), served at /h5/. Start: read /config.json (the front door's),
 * set up log-in, the API client, the language and the routes, then mount.
 */
import { createApp } from 'vue'
import { createPinia } from 'pinia'
import { createApiClient } from '@/api/client'
import { endpoints } from '@/api/endpoints'
import { createAuthService } from '@/auth/auth'
import { loadRuntimeConfig } from '@/auth/runtimeConfig'
import { createAppI18n, savedLocale } from '@/i18n'
import { installKeyboardActivation } from './a11y'
import App from './App.vue'
import StartupError from './StartupError.vue'
import { applyLocale } from './locale'
import { BASE, createAppRouter } from './router'
import { SERVICES } from './services'
import { useSessionStore } from './stores/session'
import { installVant } from './vant'
import './theme.css'

async function start(): Promise<void> {
  const locale = savedLocale()
  const i18n = createAppI18n({ locale })
  applyLocale(locale)

  let config
  try {
    config = await loadRuntimeConfig()
  } catch (cause) {
    console.error('Xinyi: cannot start without /config.json', cause)
    createApp(StartupError).use(i18n).mount('#app')
    return
  }

  const pinia = createPinia()
  const session = useSessionStore(pinia)
  // Filled in below: the auth listeners need the router, the router needs the auth service.
  let onExpired = (): void => undefined

  const auth = createAuthService(config, window.location.origin, { base: BASE }, {
    onUser: (user) => session.setUser(user),
    onExpired: () => onExpired(),
  })
  const api = endpoints(
    createApiClient({
      getToken: () => auth.accessToken(),
      onUnauthorized: () => void auth.expire(),
    }),
  )
  const router = createAppRouter({ session, auth })
  onExpired = () => {
    const current = router.currentRoute.value
    if (current.name === 'login') return
    void router.replace({ name: 'login', query: { expired: '1', returnTo: current.fullPath } })
  }

  const app = createApp(App)
  app.use(pinia).use(i18n).use(router)
  installVant(app)
  app.provide(SERVICES, { api, auth })
  installKeyboardActivation()
  app.mount('#app')
}

void start()
