/**
 * The firm's routes, typed: the household register and its import (tenant), billing runs, payments,
 * arrears, period close and statements (ledger). Writes of money carry an `Idempotency-Key` header
 * (the ledger requires one): the caller keeps one key per intended write and sends it again on a retry.
 */
import { ApiError } from '@/api/errors'
import { path, type ApiClient, type RequestOptions } from '@/api/client'
import type {
  Arrears,
  BillingJob,
  HouseholdAccount,
  HouseholdPage,
  HouseholdPublic,
  ImportOutcome,
  PaymentCreate,
  PaymentRecorded,
  RowError,
  Statement,
} from './types'

/** Request options with headers (the client sends them: `RequestOptions.headers`). */
type WithHeaders = RequestOptions & { headers?: Record<string, string> }

function idempotent(key: string, options: RequestOptions): WithHeaders {
  return { ...options, headers: { 'Idempotency-Key': key } }
}

/** A fresh idempotency key for one intended write (the ledger's pattern: 8-128 of [A-Za-z0-9_.:-]). */
export function newIdempotencyKey(): string {
  return `console-${globalThis.crypto.randomUUID()}`
}

export function firmApi(api: ApiClient) {
  return {
    /** A page of the register; `q` finds households by address on the server (3栋2单元1502, 3-2-1502). */
    households(code: string, limit: number, offset: number, q?: string): Promise<HouseholdPage> {
      return api.get('tenant', path`/v1/estates/${code}/households`, { query: { limit, offset, q: q || undefined } })
    },
    household(code: string, id: string): Promise<HouseholdPublic> {
      return api.get('tenant', path`/v1/estates/${code}/households/${id}`)
    },
    importHouseholds(code: string, file: File): Promise<ImportOutcome> {
      const form = new FormData()
      form.append('file', file, file.name)
      return api.request('tenant', path`/v1/estates/${code}/households/import`, { method: 'POST', body: form })
    },
    startBilling(code: string, period: string, key: string): Promise<BillingJob> {
      const options = idempotent(key, { method: 'POST', body: { period } })
      return api.request('ledger', path`/v1/estates/${code}/billing-runs`, options)
    },
    billingJob(jobId: string): Promise<BillingJob> {
      return api.get('ledger', path`/v1/billing-jobs/${jobId}`)
    },
    recordPayment(code: string, payment: PaymentCreate, key: string): Promise<PaymentRecorded> {
      const options = idempotent(key, { method: 'POST', body: payment })
      return api.request('ledger', path`/v1/estates/${code}/payments`, options)
    },
    account(code: string, householdId: string): Promise<HouseholdAccount> {
      return api.get('ledger', path`/v1/estates/${code}/households/${householdId}/account`)
    },
    arrears(code: string, limit: number, after: string | null): Promise<Arrears> {
      return api.get('ledger', path`/v1/estates/${code}/arrears`, { query: { limit, after: after ?? undefined } })
    },
    statement(code: string, period: string): Promise<Statement> {
      return api.get('ledger', path`/v1/estates/${code}/statements/${period}`)
    },
    statementPdf(code: string, period: string): Promise<Blob> {
      return api.blob('ledger', path`/v1/estates/${code}/statements/${period}/pdf`)
    },
    closePeriod(code: string, period: string, key: string): Promise<Statement> {
      const options = idempotent(key, { method: 'POST' })
      return api.request('ledger', path`/v1/estates/${code}/periods/${period}/close`, options)
    },
  }
}

export type FirmApi = ReturnType<typeof firmApi>

/**
 * The refused rows of a household import (422 with `row_errors`: line, column, reason), or null when
 * the refusal is about the file as a whole (its type, encoding, size) and only has a reason.
 * The error's body fields beyond `error` and `reason` are on `ApiError.details`.
 */
export function rowErrorsOf(error: unknown): RowError[] | null {
  if (!(error instanceof ApiError)) return null
  const details = (error as ApiError & { details?: Record<string, unknown> }).details
  const rows = details?.row_errors
  if (!Array.isArray(rows)) return null
  return rows.flatMap((row: unknown) => {
    if (!row || typeof row !== 'object') return []
    const { line, column, reason } = row as Record<string, unknown>
    if (typeof line !== 'number' || typeof reason !== 'string') return []
    return [{ line, column: typeof column === 'string' ? column : '', reason }]
  })
}

/** What to show of a failed call: the API's reason, else the error's message. */
export function reasonOf(error: unknown): string {
  if (error instanceof ApiError) return error.reason
  return error instanceof Error ? error.message : String(error)
}
