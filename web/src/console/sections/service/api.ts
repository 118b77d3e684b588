/** The service section's routes (ledger: budgets, vouchers, expenses, questions; ticketing: the queue). */
import { allPages, path, type PagedApiClient, type Page } from '@/api/client'
import type {
  AdoptedBudget,
  BudgetDraft,
  BudgetDraftBody,
  Expense,
  ExpenseBody,
  ExpenseDetail,
  MaterialsBody,
  MaterialsRecord,
  MonthExecution,
  OpenQuestion,
  Question,
  Ticket,
  TicketDetail,
  TicketFile,
  TicketPage,
  Voucher,
} from './types'

export interface ExpenseQuery {
  status?: string
  limit: number
  /** The number of the last expense of the previous page. */
  before?: number
}

export interface TicketQuery {
  status?: string
  open?: boolean
  assignee?: string
  limit: number
  before?: string
}

/** ledger: EstateQuestionPublic — an item of GET /questions: an open question as the budget's execution
 * lists it, with the firm's answer once given (null while open); never who asked. */
export interface EstateQuestion extends OpenQuestion {
  answer: string | null
  answered_at: string | null
}

export function serviceApi(api: PagedApiClient) {
  const estate = (code: string) => path`/v1/estates/${code}`
  return {
    // budgets
    /** A page of the estate's budget drafts, newest first (the server's order). */
    drafts: (code: string, limit: number, offset: number): Promise<Page<BudgetDraft>> =>
      api.getPage<BudgetDraft>('ledger', `${estate(code)}/budget-drafts`, { limit, offset }),
    /** Every budget draft of the estate (a page of 500 at a time): to choose one for a ballot. */
    allDrafts: (code: string) => allPages<BudgetDraft>(api, 'ledger', `${estate(code)}/budget-drafts`),
    createDraft: (code: string, body: BudgetDraftBody) =>
      api.request<BudgetDraft>('ledger', `${estate(code)}/budget-drafts`, { method: 'POST', body }),
    replaceDraft: (code: string, id: string, body: BudgetDraftBody) =>
      api.request<BudgetDraft>('ledger', `${estate(code)}${path`/budget-drafts/${id}`}`, { method: 'PUT', body }),
    budget: (code: string, year: number) => api.get<AdoptedBudget>('ledger', `${estate(code)}${path`/budgets/${year}`}`),
    execution: (code: string, year: number) =>
      api.get<MonthExecution[]>('ledger', `${estate(code)}${path`/budgets/${year}/execution`}`),

    // vouchers and expenses
    uploadVoucher: (code: string, file: File) => {
      const form = new FormData()
      form.append('file', file, file.name)
      return api.request<Voucher>('ledger', `${estate(code)}/vouchers`, { method: 'POST', body: form })
    },
    voucher: (code: string, sha256: string) => api.blob('ledger', `${estate(code)}${path`/vouchers/${sha256}`}`),
    propose: (code: string, body: ExpenseBody) =>
      api.request<Expense>('ledger', `${estate(code)}/expenses`, { method: 'POST', body }),
    expenses: (code: string, query: ExpenseQuery) =>
      api.get<Expense[]>('ledger', `${estate(code)}/expenses`, {
        query: { status: query.status || undefined, limit: query.limit, before: query.before },
      }),
    expense: (code: string, id: string) => api.get<ExpenseDetail>('ledger', `${estate(code)}${path`/expenses/${id}`}`),
    pay: (code: string, id: string) =>
      api.request<Expense>('ledger', `${estate(code)}${path`/expenses/${id}/payment`}`, { method: 'POST' }),
    /**
     * A page of the estate's questions, oldest asked first (the server's order): only the unanswered
     * ones (`open`), or every one with its answer.
     */
    questions: (code: string, limit: number, offset: number, open = true): Promise<Page<EstateQuestion>> =>
      api.getPage<EstateQuestion>('ledger', `${estate(code)}/questions`, { limit, offset, query: { open } }),
    answer: (code: string, expenseId: string, questionId: string, answer: string) =>
      api.request<Question>('ledger', `${estate(code)}${path`/expenses/${expenseId}/questions/${questionId}/answer`}`, {
        method: 'POST',
        body: { answer },
      }),

    // tickets
    tickets: (code: string, query: TicketQuery) =>
      api.get<TicketPage>('ticketing', `${estate(code)}/tickets`, {
        query: {
          status: query.status || undefined,
          open: query.open || undefined,
          assignee: query.assignee || undefined,
          limit: query.limit,
          before: query.before,
        },
      }),
    ticket: (code: string, id: string) => api.get<TicketDetail>('ticketing', `${estate(code)}${path`/tickets/${id}`}`),
    step: (code: string, id: string, action: 'acknowledge' | 'start', note: string) =>
      api.request<Ticket>('ticketing', `${estate(code)}${path`/tickets/${id}/${action}`}`, {
        method: 'POST',
        body: { note },
      }),
    resolve: (code: string, id: string, note: string) =>
      api.request<Ticket>('ticketing', `${estate(code)}${path`/tickets/${id}/resolve`}`, {
        method: 'POST',
        body: { note, photos: [] },
      }),
    assign: (code: string, id: string, assignee: string, note: string) =>
      api.request<Ticket>('ticketing', `${estate(code)}${path`/tickets/${id}/assign`}`, {
        method: 'POST',
        body: { assignee, note },
      }),
    note: (code: string, id: string, text: string, internal: boolean) =>
      api.request<Ticket>('ticketing', `${estate(code)}${path`/tickets/${id}/notes`}`, {
        method: 'POST',
        body: { text, internal },
      }),
    uploadReceipt: (code: string, file: File) => {
      const form = new FormData()
      form.append('file', file, file.name)
      return api.request<TicketFile>('ticketing', `${estate(code)}/ticket-files`, {
        method: 'POST',
        body: form,
        query: { purpose: 'receipt' },
      })
    },
    materials: (code: string, id: string, body: MaterialsBody) =>
      api.request<{ ticket: Ticket; materials: MaterialsRecord }>(
        'ticketing',
        `${estate(code)}${path`/tickets/${id}/materials`}`,
        { method: 'POST', body },
      ),
  }
}

export type ServiceApi = ReturnType<typeof serviceApi>
