/**
 * 治理看板 — the municipal committee (governance_observer): the district's figures per estate and
 * area, trends, rankings, an estate against the district median, the export, and the signed monthly
 * report. Its pages ask the governance API only; no person, household or unit is ever in it.
 */
import type { ConsoleSection } from '../../section'
import { messages } from './messages'

export const section: ConsoleSection = {
  name: 'committee',
  scope: 'district',
  roles: ['governance_observer'],
  nav: [
    { route: 'committee-dashboard', label: 'committee.nav.dashboard' },
    { route: 'committee-compare', label: 'committee.nav.compare' },
    { route: 'committee-report', label: 'committee.nav.report' },
  ],
  routes: [
    { path: '', name: 'committee-dashboard', component: () => import('./pages/DashboardPage.vue') },
    { path: 'compare', name: 'committee-compare', component: () => import('./pages/ComparePage.vue') },
    { path: 'report', name: 'committee-report', component: () => import('./pages/ReportPage.vue') },
  ],
  messages,
}
