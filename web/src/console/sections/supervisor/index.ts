/** The owners' supervisor: expenses to approve with their vouchers, ballots, the audit of the log. */
import type { ConsoleSection } from '../../section'
import { en, zhCN } from './messages'

export const section: ConsoleSection = {
  name: 'supervisor',
  scope: 'estate',
  roles: ['supervisor'],
  nav: [
    { route: 'supervisor-approvals', label: 'supervisor.nav.approvals' },
    { route: 'supervisor-ballots', label: 'supervisor.nav.ballots' },
    { route: 'supervisor-audit', label: 'supervisor.nav.audit' },
  ],
  routes: [
    { path: '', name: 'supervisor-approvals', component: () => import('./pages/ApprovalsPage.vue') },
    { path: 'ballots', name: 'supervisor-ballots', component: () => import('./pages/BallotsPage.vue') },
    { path: 'audit', name: 'supervisor-audit', component: () => import('./pages/AuditPage.vue') },
  ],
  messages: { 'zh-CN': zhCN, en },
}
