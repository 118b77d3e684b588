/**
 * The platform team's section (district-wide, `platform_admin`): the district's hierarchy, the
 * estates, onboarding an estate with its rules, an estate's rules and their audited history, and
 * its lifecycle (suspension, export, offboarding).
 */
import type { ConsoleSection } from '../../section'
import { messages } from './messages'

export const section: ConsoleSection = {
  name: 'platform',
  scope: 'district',
  roles: ['platform_admin'],
  nav: [
    { route: 'platform-estates', label: 'platform.nav.estates' },
    { route: 'platform-onboard', label: 'platform.nav.onboard' },
    { route: 'platform-hierarchy', label: 'platform.nav.hierarchy' },
  ],
  routes: [
    { path: '', name: 'platform-estates', component: () => import('./pages/EstatesPage.vue') },
    { path: 'onboard', name: 'platform-onboard', component: () => import('./pages/OnboardPage.vue') },
    { path: 'hierarchy', name: 'platform-hierarchy', component: () => import('./pages/HierarchyPage.vue') },
    {
      path: 'estates/:code',
      name: 'platform-estate',
      component: () => import('./pages/EstatePage.vue'),
      meta: { title: 'platform.titles.estate' },
    },
  ],
  messages,
}
