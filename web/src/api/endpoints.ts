/** The routes the pages call, typed. Add a route here, not in a page. */
import { path, type ApiClient } from './client'
import type {
  Ballot,
  BallotSummary,
  Budget,
  Estate,
  Expense,
  ExpenseDetail,
  ExpenseQuestion,
  FundStatement,
  Grant,
  GrantApplication,
  Household,
  HouseholdAccount,
  HouseholdOpening,
  InclusionBundle,
  LogKey,
  PublishedCheckpoint,
  ReceiptCheck,
  ReportBody,
  ServiceTargets,
  Statement,
  Ticket,
  TicketDetail,
  TicketFile,
  TicketPage,
  VoteReceipt,
} from './types'

export function endpoints(api: ApiClient) {
  const ticket = (code: string, id: string, action: string, body: unknown) =>
    api.request<Ticket>('ticketing', path`/v1/estates/${code}/tickets/${id}/` + action, { method: 'POST', body })
  return {
    tenant: {
      estate: (code: string) => api.get<Estate>('tenant', path`/v1/estates/${code}`),
      myHouseholds: (code: string) => api.get<Household[]>('tenant', path`/v1/estates/${code}/my-households`),
      /** The estate's ballots, newest first: `limit` (1..500; the server's default 100) after `offset`. */
      ballots: (code: string, page?: { limit: number; offset: number }) =>
        api.get<BallotSummary[]>('tenant', path`/v1/estates/${code}/ballots`, { query: page }),
      ballot: (code: string, id: string) => api.get<Ballot>('tenant', path`/v1/estates/${code}/ballots/${id}`),
      vote: (code: string, id: string, option: string) =>
        api.request<VoteReceipt>('tenant', path`/v1/estates/${code}/ballots/${id}/votes`, { method: 'POST', body: { option } }),
      checkReceipt: (code: string, id: string, receipt: string) =>
        api.get<ReceiptCheck>('tenant', path`/v1/estates/${code}/ballots/${id}/receipts/${receipt}`),
    },
    ledger: {
      householdAccount: (code: string, householdId: string) =>
        api.get<HouseholdAccount>('ledger', path`/v1/estates/${code}/households/${householdId}/account`),
      statement: (code: string, period: string) =>
        api.get<Statement>('ledger', path`/v1/estates/${code}/statements/${period}`),
      budget: (code: string, year: number) => api.get<Budget>('ledger', path`/v1/estates/${code}/budgets/${year}`),
      logKey: (code: string) => api.get<LogKey>('ledger', path`/v1/estates/${code}/log/key`),
      latestCheckpoint: (code: string) =>
        api.get<PublishedCheckpoint>('ledger', path`/v1/estates/${code}/log/checkpoints/latest`),
      inclusionProof: (code: string, transactionId: string) =>
        api.get<InclusionBundle>('ledger', path`/v1/estates/${code}/log/entries/${transactionId}/proof`),
      opening: (code: string, householdId: string) =>
        api.get<HouseholdOpening>('ledger', path`/v1/estates/${code}/households/${householdId}/opening`),
      expenses: (code: string) => api.get<Expense[]>('ledger', path`/v1/estates/${code}/expenses`, { query: { limit: 50 } }),
      expense: (code: string, id: string) => api.get<ExpenseDetail>('ledger', path`/v1/estates/${code}/expenses/${id}`),
      voucher: (code: string, sha256: string) => api.blob('ledger', path`/v1/estates/${code}/vouchers/${sha256}`),
      ask: (code: string, id: string, question: string) =>
        api.request<ExpenseQuestion>('ledger', path`/v1/estates/${code}/expenses/${id}/questions`, {
          method: 'POST',
          body: { question },
        }),
    },
    ticketing: {
      serviceTargets: (code: string) => api.get<ServiceTargets>('ticketing', path`/v1/estates/${code}/service-targets`),
      uploadPhoto: (code: string, file: File) => {
        const form = new FormData()
        form.append('file', file, file.name)
        return api.request<TicketFile>('ticketing', path`/v1/estates/${code}/ticket-files`, {
          method: 'POST',
          query: { purpose: 'photo' },
          body: form,
        })
      },
      report: (code: string, body: ReportBody) =>
        api.request<Ticket>('ticketing', path`/v1/estates/${code}/tickets`, { method: 'POST', body }),
      tickets: (code: string) => api.get<TicketPage>('ticketing', path`/v1/estates/${code}/tickets`, { query: { mine: true } }),
      ticket: (code: string, id: string) => api.get<TicketDetail>('ticketing', path`/v1/estates/${code}/tickets/${id}`),
      confirm: (code: string, id: string, score: number, comment: string) =>
        ticket(code, id, 'confirm', { score, comment }),
      reopen: (code: string, id: string, reason: string) => ticket(code, id, 'reopen', { reason }),
      complain: (code: string, id: string, reason: string) => ticket(code, id, 'complaint', { reason }),
    },
    microfund: {
      statement: (community: string) => api.get<FundStatement>('microfund', path`/v1/communities/${community}/fund`),
      apply: (community: string, body: GrantApplication) =>
        api.request<Grant>('microfund', path`/v1/communities/${community}/fund/grants`, { method: 'POST', body }),
    },
  }
}

export type Endpoints = ReturnType<typeof endpoints>
