/**
 * The desk console is a shell (log-in, layout, role-aware navigation, estate switcher, language)
 * and sections, one folder each under `sections/<name>/`, each exporting a `ConsoleSection` from
 * its `index.ts`. The shell (`router.ts`, `Layout.vue`) mounts every section of `sections/index.ts`:
 *
 *   scope 'estate'   → routes under /console/estates/:estate/<name>/…  (the estate switcher shows;
 *                      the route guard refuses an estate that is not the caller's, as the APIs do)
 *   scope 'district' → routes under /console/<name>/…
 *
 * A section's pages get the API client, the session and the log-in actions from `useConsole()`
 * (`services.ts`), call routes through their own typed module (`sections/<name>/api.ts`), and name
 * messages as `<name>.<key>` (the shell merges each section's catalogue under its name).
 */
import type { RouteRecordRaw } from 'vue-router'

/** Keycloak realm roles (xinyi_shared.auth.Role). */
export type Role =
  | 'platform_admin'
  | 'firm_manager'
  | 'firm_staff'
  | 'supervisor'
  | 'community_officer'
  | 'governance_observer'
  | 'grid_leader'
  | 'resident'

export interface NavEntry {
  /** A route name of the section. */
  route: string
  /** A message key, e.g. 'firm.nav.households'. */
  label: string
  /** Who sees the entry; the section's roles when absent. */
  roles?: readonly Role[]
}

export type Catalogue = { [key: string]: string | Catalogue }

export interface ConsoleSection {
  /** Folder, path segment, route-name prefix and message namespace: 'firm', 'supervisor', … */
  name: string
  scope: 'estate' | 'district'
  /** Who sees the section (any one of them). */
  roles: readonly Role[]
  /** The menu entries, in order. */
  nav: readonly NavEntry[]
  /** Relative paths ('' for the section's first page); route names unique across sections. */
  routes: readonly RouteRecordRaw[]
  /** zh-CN first; both catalogues have exactly the same keys. */
  messages: { 'zh-CN': Catalogue; en: Catalogue }
}
