/**
 * The resident pages' routes, under /h5/:
 *
 *   /                          → the estate's "my household" (or the estate picker when several)
 *   /login                     log-in (?expired=1 after a session ended, ?returnTo=…)
 *   /auth/callback             Keycloak's redirect back (code → tokens)
 *   /estates                   estate picker (?denied=<code> after a URL for someone else's estate)
 *   /estates/:estate/<section> the sections of the tabbar (SECTIONS)
 *
 * Every route but log-in and the callback needs a signed-in user; a route for an estate needs one
 * of the user's estates (the token's), else back to the picker — the APIs refuse it too (403).
 */
import {
  createMemoryHistory,
  createRouter,
  createWebHistory,
  type RouteComponent,
  type RouteRecordRaw,
  type Router,
} from 'vue-router'
import type { useSessionStore } from './stores/session'
import type { AuthActions } from './services'

export const BASE = '/h5/'

export const SECTIONS = [
  { name: 'household', path: 'household', icon: 'home-o' },
  { name: 'books', path: 'books/:period(\\d{4}-\\d{2})?', icon: 'balance-list-o' },
  { name: 'verify', path: 'verify', icon: 'shield-o' },
  { name: 'ballots', path: 'ballots', icon: 'todo-list-o' },
  { name: 'repairs', path: 'repairs', icon: 'service-o' },
  { name: 'fund', path: 'fund', icon: 'gift-o' },
] as const

export type SectionName = (typeof SECTIONS)[number]['name']

const sectionPages: Record<SectionName, () => Promise<RouteComponent | { default: RouteComponent }>> = {
  household: () => import('./pages/HouseholdPage.vue'),
  books: () => import('./pages/BooksPage.vue'),
  verify: () => import('./pages/VerifyPage.vue'),
  ballots: () => import('./pages/BallotsPage.vue'),
  repairs: () => import('./pages/RepairsPage.vue'),
  fund: () => import('./pages/FundPage.vue'),
}

declare module 'vue-router' {
  interface RouteMeta {
    /** Reachable without logging in. */
    public?: boolean
    /** The i18n key of the page's title. */
    title?: string
  }
}

export function routes(): RouteRecordRaw[] {
  return [
    { path: '/', name: 'home', component: () => import('./pages/EstatesPage.vue') },
    {
      path: '/login',
      name: 'login',
      component: () => import('./pages/LoginPage.vue'),
      meta: { public: true, title: 'auth.title' },
    },
    {
      path: '/auth/callback',
      name: 'callback',
      component: () => import('./pages/AuthCallbackPage.vue'),
      meta: { public: true, title: 'auth.signingIn' },
    },
    {
      path: '/estates',
      name: 'estates',
      component: () => import('./pages/EstatesPage.vue'),
      meta: { title: 'estates.title' },
    },
    {
      path: '/estates/:estate',
      component: () => import('./EstateLayout.vue'),
      children: [
        { path: '', redirect: (to) => ({ name: 'household', params: to.params }) },
        ...SECTIONS.map(
          (section): RouteRecordRaw => ({
            path: section.path,
            name: section.name,
            component: sectionPages[section.name],
            meta: { title: `titles.${section.name}` },
          }),
        ),
      ],
    },
    {
      path: '/:unknown(.*)*',
      name: 'not-found',
      component: () => import('./pages/NotFoundPage.vue'),
      meta: { public: true, title: 'common.notFound' },
    },
  ]
}

export interface RouterDeps {
  session: ReturnType<typeof useSessionStore>
  auth: Pick<AuthActions, 'restore'>
  /** Browser history at /h5/ (the app); memory history in the tests. */
  history?: 'web' | 'memory'
}

export function createAppRouter({ session, auth, history = 'web' }: RouterDeps): Router {
  const router = createRouter({
    history: history === 'web' ? createWebHistory(BASE) : createMemoryHistory(BASE),
    routes: routes(),
    scrollBehavior: () => ({ top: 0 }),
  })

  router.beforeEach(async (to) => {
    if (to.meta.public) return true
    if (!session.signedIn) session.setUser(await auth.restore())
    if (!session.signedIn) return { name: 'login', query: { returnTo: to.fullPath } }

    const estate = to.params.estate
    if (typeof estate === 'string' && !session.mayOpen(estate)) {
      return { name: 'estates', query: { denied: estate } }
    }
    // The start page goes straight to the household page when there is one estate to choose from.
    if (to.name === 'home' && session.estates.length === 1) {
      return { name: 'household', params: { estate: session.estates[0] } }
    }
    return true
  })

  return router
}
