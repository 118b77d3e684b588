/**
 * 社区微基金 — the community officer: the fund of the community the estate donates to, what each
 * firm pledged and paid in, money received, and grants from review to disbursement and closing.
 */
import type { ConsoleSection } from '../../section'
import { messages } from './messages'

export const section: ConsoleSection = {
  name: 'community',
  scope: 'estate',
  roles: ['community_officer'],
  nav: [
    { route: 'community-fund', label: 'community.nav.fund' },
    { route: 'community-grants', label: 'community.nav.grants' },
  ],
  routes: [
    { path: '', name: 'community-fund', component: () => import('./pages/FundPage.vue') },
    { path: 'grants', name: 'community-grants', component: () => import('./pages/GrantsPage.vue') },
  ],
  messages,
}
