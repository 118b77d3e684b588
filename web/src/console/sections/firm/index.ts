/**
 * The property firm's section of the console (estate-scoped): the household register and its
 * import, billing runs, payments, arrears, statements, and the period close (firm manager only,
 * as POST /periods/{period}/close is: docs/access.md).
 */
import type { ConsoleSection } from '../../section'
import en from './locales/en'
import zhCN from './locales/zh-CN'

export const section: ConsoleSection = {
  name: 'firm',
  scope: 'estate',
  roles: ['firm_manager', 'firm_staff'],
  nav: [
    { route: 'firm-households', label: 'firm.nav.households' },
    { route: 'firm-billing', label: 'firm.nav.billing' },
    { route: 'firm-payments', label: 'firm.nav.payments' },
    { route: 'firm-arrears', label: 'firm.nav.arrears' },
    { route: 'firm-statements', label: 'firm.nav.statements' },
    { route: 'firm-close', label: 'firm.nav.close', roles: ['firm_manager'] },
  ],
  routes: [
    { path: '', name: 'firm-households', component: () => import('./pages/HouseholdsPage.vue') },
    { path: 'billing', name: 'firm-billing', component: () => import('./pages/BillingPage.vue') },
    { path: 'payments', name: 'firm-payments', component: () => import('./pages/PaymentsPage.vue') },
    { path: 'arrears', name: 'firm-arrears', component: () => import('./pages/ArrearsPage.vue') },
    { path: 'statements', name: 'firm-statements', component: () => import('./pages/StatementsPage.vue') },
    {
      path: 'close',
      name: 'firm-close',
      component: () => import('./pages/StatementsPage.vue'),
      props: { closing: true },
      meta: { roles: ['firm_manager'] },
    },
  ],
  messages: { 'zh-CN': zhCN, en },
}
