/** The supervisor section's routes: expenses to decide (ledger), ballots (tenant), the log (ledger). */
import { path, type ApiClient } from '@/api/client'
import type { Expense } from '../service/types'
import type { Ballot, BallotCreate, BallotOpened, BallotResult, BallotSummary, Checkpoint, ConsistencyBundle, LogKey } from './types'

export function supervisorApi(api: ApiClient) {
  const estate = (code: string) => path`/v1/estates/${code}`
  return {
    approve: (code: string, id: string) =>
      api.request<Expense>('ledger', `${estate(code)}${path`/expenses/${id}/approve`}`, { method: 'POST' }),
    reject: (code: string, id: string, reason: string) =>
      api.request<Expense>('ledger', `${estate(code)}${path`/expenses/${id}/reject`}`, {
        method: 'POST',
        body: { reason },
      }),

    ballots: (code: string) => api.get<BallotSummary[]>('tenant', `${estate(code)}/ballots`),
    ballot: (code: string, id: string) => api.get<Ballot>('tenant', `${estate(code)}${path`/ballots/${id}`}`),
    openBallot: (code: string, body: BallotCreate) =>
      api.request<BallotOpened>('tenant', `${estate(code)}/ballots`, { method: 'POST', body }),
    closeBallot: (code: string, id: string, early: boolean) =>
      api.request<BallotResult>('tenant', `${estate(code)}${path`/ballots/${id}/close`}`, {
        method: 'POST',
        body: { early },
      }),

    logKey: (code: string) => api.get<LogKey>('ledger', `${estate(code)}/log/key`),
    checkpoints: (code: string) => api.get<Checkpoint[]>('ledger', `${estate(code)}/log/checkpoints`),
    consistency: (code: string, from: number, to: number) =>
      api.get<ConsistencyBundle>('ledger', `${estate(code)}/log/consistency`, { query: { from, to } }),
  }
}

export type SupervisorApi = ReturnType<typeof supervisorApi>
