/** The supervisor section's routes: expenses to decide (ledger), ballots (tenant), the log (ledger). */
import { path, type PagedApiClient, type Page } from '@/api/client'
import type { Expense } from '../service/types'
import type { Ballot, BallotCreate, BallotOpened, BallotResult, BallotSummary, Checkpoint, ConsistencyBundle, LogKey } from './types'

export function supervisorApi(api: PagedApiClient) {
  const estate = (code: string) => path`/v1/estates/${code}`
  return {
    approve: (code: string, id: string) =>
      api.request<Expense>('ledger', `${estate(code)}${path`/expenses/${id}/approve`}`, { method: 'POST' }),
    reject: (code: string, id: string, reason: string) =>
      api.request<Expense>('ledger', `${estate(code)}${path`/expenses/${id}/reject`}`, {
        method: 'POST',
        body: { reason },
      }),

    /** A page of the estate's ballots, newest first (the server's order). */
    ballots: (code: string, limit: number, offset: number): Promise<Page<BallotSummary>> =>
      api.getPage<BallotSummary>('tenant', `${estate(code)}/ballots`, { limit, offset }),
    ballot: (code: string, id: string) => api.get<Ballot>('tenant', `${estate(code)}${path`/ballots/${id}`}`),
    openBallot: (code: string, body: BallotCreate) =>
      api.request<BallotOpened>('tenant', `${estate(code)}/ballots`, { method: 'POST', body }),
    closeBallot: (code: string, id: string, early: boolean) =>
      api.request<BallotResult>('tenant', `${estate(code)}${path`/ballots/${id}/close`}`, {
        method: 'POST',
        body: { early },
      }),

    logKey: (code: string) => api.get<LogKey>('ledger', `${estate(code)}/log/key`),
    /** A page of the log's checkpoints, in the server's order (oldest first). */
    checkpoints: (code: string, limit: number, offset: number): Promise<Page<Checkpoint>> =>
      api.getPage<Checkpoint>('ledger', `${estate(code)}/log/checkpoints`, { limit, offset }),
    consistency: (code: string, from: number, to: number) =>
      api.get<ConsistencyBundle>('ledger', `${estate(code)}/log/consistency`, { query: { from, to } }),
  }
}

export type SupervisorApi = ReturnType<typeof supervisorApi>
