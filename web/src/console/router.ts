/**
 * The console's routes, under /console/:
 *
 *   /login                                 log-in (?expired=1 after a session ended, ?returnTo=…)
 *   /auth/callback                         Keycloak's redirect back (code → tokens)
 *   /                                      home: the first page the user may open, or the estate picker
 *   /estates/:estate/<section>/<path>      the pages of an estate section (scope 'estate')
 *   /<section>/<path>                      the pages of a district section (scope 'district')
 *   /forbidden                             a page the user's roles or estates do not allow
 *
 * Every route but log-in and the callback needs a signed-in user; a section's route needs one of
 * its roles (the nav entry's, else the section's), and an estate route one of the user's estates
 * (the token's) — the APIs refuse the others too, but the console does not even ask them.
 */
import {
  createMemoryHistory,
  createRouter,
  createWebHistory,
  type RouteLocationRaw,
  type RouteRecordRaw,
  type Router,
} from 'vue-router'
import { inject, type InjectionKey } from 'vue'
import type { AuthActions } from './services'
import type { ConsoleSection, NavEntry, Role } from './section'
import type { ConsoleSessionState } from './session'
import { SECTIONS } from './sections'

export const BASE = '/console/'

/** The sections the app mounts (all of `sections/index.ts`; the tests' own in the shell's tests). */
export const CONSOLE_SECTIONS: InjectionKey<readonly ConsoleSection[]> = Symbol('xinyi console sections')

export function useSections(): readonly ConsoleSection[] {
  return inject(CONSOLE_SECTIONS, SECTIONS)
}

declare module 'vue-router' {
  interface RouteMeta {
    /** Reachable without logging in. */
    public?: boolean
    /** The i18n key of the page's title. */
    title?: string
    /** The console section the route belongs to. */
    section?: string
    /** 'estate' routes carry :estate. */
    scope?: 'estate' | 'district'
    /** Who may open it (any one of them). */
    roles?: readonly Role[]
  }
}

/** The path prefix of a section's routes (relative to /console/). */
export function sectionPrefix(section: ConsoleSection): string {
  return section.scope === 'estate' ? `estates/:estate/${section.name}` : section.name
}

function joinPath(prefix: string, path: string): string {
  const rest = path.replace(/^\/+/, '')
  return rest ? `${prefix}/${rest}` : prefix
}

/** Who may see a nav entry: its own roles, else the section's. */
export function entryRoles(section: ConsoleSection, entry: NavEntry): readonly Role[] {
  return entry.roles ?? section.roles
}

/** A section's routes, mounted under its prefix, each with its section, scope and roles. */
export function sectionRoutes(section: ConsoleSection): RouteRecordRaw[] {
  return section.routes.map((route) => {
    const entry = section.nav.find((candidate) => candidate.route === route.name)
    const roles = (route.meta?.roles as readonly Role[] | undefined) ?? (entry ? entryRoles(section, entry) : section.roles)
    return {
      ...route,
      path: joinPath(sectionPrefix(section), route.path),
      meta: {
        title: entry?.label ?? `sections.${section.name}`,
        ...route.meta,
        section: section.name,
        scope: section.scope,
        roles,
      },
    } as RouteRecordRaw
  })
}

export function routes(sections: readonly ConsoleSection[] = SECTIONS): RouteRecordRaw[] {
  return [
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
      path: '/',
      component: () => import('./ConsoleLayout.vue'),
      children: [
        { path: '', name: 'home', component: () => import('./pages/HomePage.vue'), meta: { title: 'home.title' } },
        {
          path: 'forbidden',
          name: 'forbidden',
          component: () => import('./pages/ForbiddenPage.vue'),
          meta: { title: 'forbidden.title' },
        },
        ...sections.flatMap(sectionRoutes),
      ],
    },
    {
      path: '/:unknown(.*)*',
      name: 'not-found',
      component: () => import('./pages/NotFoundPage.vue'),
      meta: { public: true, title: 'notFound.title' },
    },
  ]
}

/** A menu entry the user may see, with where it goes. */
export interface VisibleEntry {
  section: ConsoleSection
  entry: NavEntry
}

/** The sections and entries the user's roles allow, in menu order (estate sections only with an estate). */
export function visibleNav(
  session: Pick<ConsoleSessionState, 'hasRole' | 'estates'>,
  sections: readonly ConsoleSection[] = SECTIONS,
): { section: ConsoleSection; entries: NavEntry[] }[] {
  return sections
    .filter((section) => section.scope === 'district' || session.estates.value.length > 0)
    .map((section) => ({
      section,
      entries: section.nav.filter((entry) => session.hasRole(...entryRoles(section, entry))),
    }))
    .filter((group) => group.entries.length > 0)
}

/** Where a menu entry goes: an estate section's entry in `estate`. */
export function entryLocation(section: ConsoleSection, entry: NavEntry, estate: string | undefined): RouteLocationRaw {
  return section.scope === 'estate' ? { name: entry.route, params: { estate: estate ?? '' } } : { name: entry.route }
}

export interface RouterDeps {
  session: ConsoleSessionState
  auth: Pick<AuthActions, 'restore'>
  sections?: readonly ConsoleSection[]
  /** Browser history at /console/ (the app); memory history in the tests. */
  history?: 'web' | 'memory'
}

export function createConsoleRouter({ session, auth, sections = SECTIONS, history = 'web' }: RouterDeps): Router {
  const router = createRouter({
    history: history === 'web' ? createWebHistory(BASE) : createMemoryHistory(BASE),
    routes: routes(sections),
    scrollBehavior: () => ({ top: 0 }),
  })

  router.beforeEach(async (to) => {
    if (to.meta.public) return true
    if (!session.signedIn.value) session.setUser(await auth.restore())
    if (!session.signedIn.value) return { name: 'login', query: { returnTo: to.fullPath } }

    const roles = to.meta.roles
    if (roles && !session.hasRole(...roles)) {
      return { name: 'forbidden', query: { reason: 'role', path: to.fullPath } }
    }
    const estate = to.params.estate
    if (typeof estate === 'string' && !session.mayOpen(estate)) {
      return { name: 'forbidden', query: { reason: 'estate', estate, path: to.fullPath } }
    }
    if (to.name === 'home') {
      // Straight to the first page the user may open, unless an estate must be chosen first.
      const first = visibleNav(session, sections)[0]
      const entry = first?.entries[0]
      if (first && entry) {
        if (first.section.scope === 'district') return entryLocation(first.section, entry, undefined)
        if (session.estates.value.length === 1) return entryLocation(first.section, entry, session.estates.value[0])
      }
    }
    return true
  })

  return router
}
