/** The firm's service desk: expenses with vouchers, the budget, residents' questions, the ticket queue. */
import type { ConsoleSection } from '../../section'
import { en, zhCN } from './messages'

export const section: ConsoleSection = {
  name: 'service',
  scope: 'estate',
  roles: ['firm_manager', 'firm_staff'],
  nav: [
    { route: 'service-expenses', label: 'service.nav.expenses' },
    { route: 'service-budgets', label: 'service.nav.budgets' },
    { route: 'service-questions', label: 'service.nav.questions' },
    { route: 'service-tickets', label: 'service.nav.tickets' },
  ],
  routes: [
    { path: '', name: 'service-expenses', component: () => import('./pages/ExpensesPage.vue') },
    { path: 'budgets', name: 'service-budgets', component: () => import('./pages/BudgetsPage.vue') },
    { path: 'questions', name: 'service-questions', component: () => import('./pages/QuestionsPage.vue') },
    { path: 'tickets', name: 'service-tickets', component: () => import('./pages/TicketsPage.vue') },
  ],
  messages: { 'zh-CN': zhCN, en },
}
