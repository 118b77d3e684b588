/** The JSON of the routes the firm's pages call (tenant and ledger HTTP APIs; amounts in integer fen). */

export interface OwnerMasked {
  name: string
  phone: string
}

/** A row of GET /v1/estates/{code}/households (personal data masked). */
export interface HouseholdListed {
  id: string
  building: string
  unit: string
  floor: string
  room: string
  area_centi_sqm: number
  grid_code: string | null
  occupied_from: string | null
  member_count: number
  owners: OwnerMasked[]
}

export interface HouseholdPage {
  total: number
  limit: number
  offset: number
  households: HouseholdListed[]
}

/** GET /v1/estates/{code}/households/{id}. */
export interface HouseholdPublic {
  id: string
  building: string
  unit: string
  floor: string
  room: string
  area_sqm: string
  area_centi_sqm: number
  grid_code: string | null
  occupied_from: string | null
  occupied_until: string | null
}

export interface ImportOutcome {
  imported: number
  household_ids: string[]
}

/** One refused row of a household file: nothing of the file was imported. */
export interface RowError {
  line: number
  /** The header as written in the file; '' for a problem of the whole row. */
  column: string
  reason: string
}

export type JobStatus = 'queued' | 'running' | 'done' | 'failed'

export interface BillingJob {
  job_id: string
  scope: 'estate' | 'district'
  district_code: string | null
  estate_code: string | null
  period: string
  status: JobStatus
  households_total: number | null
  households_done: number
  estates_total: number
  estates_done: number
  households_billed: number
  already_billed: number
  not_occupied: number
  billed_fen: number
  failures: { estate_code: string; reason: string }[]
  created_at: string
  finished_at: string | null
}

export const PAYMENT_METHODS = ['cash', 'bank_transfer', 'wechat_pay', 'alipay'] as const
export type PaymentMethod = (typeof PAYMENT_METHODS)[number]

export interface PaymentCreate {
  household_id: string
  amount_fen: number
  method: PaymentMethod
  reference: string
  received_on: string
}

export interface PaymentRecorded {
  payment_id: string
  transaction_id: string
  number: number
  period: string
  allocated: { bill_id: string; amount_fen: number }[]
  to_prepaid_fen: number
}

export interface HouseholdAccount {
  household_id: string
  owed_fen: number
  prepaid_fen: number
  bills: { id: string; period: string; amount_fen: number; due_fen: number; billed_on: string }[]
  payments: { id: string; amount_fen: number; method: string; reference: string; received_on: string }[]
}

/** The receivables' age buckets as the ledger names them. */
export const AGEING_BUCKETS = ['0-30', '31-90', '91-180', '>180'] as const

export interface Arrears {
  as_of: string
  total_fen: number
  ageing_fen: Record<string, number>
  households: { household_id: string; owed_fen: number }[]
  next_after: string | null
}

export interface BudgetLineExecution {
  account: string
  name: string
  adopted_fen: number
  booked_in_period_fen: number
  booked_year_to_date_fen: number
  committed_fen: number
  remaining_fen: number
}

export interface Statement {
  estate_code: string
  estate_name: string
  closed: boolean
  period: string
  opening_balance_fen: number
  fees_billed_fen: number
  fees_collected_fen: number
  collection_rate_bps: number
  common_income_by_kind: Record<string, number>
  expenses_by_budget_line: Record<string, number>
  remuneration_fen: number
  donation_fen: number
  closing_balance_fen: number
  surplus_year_to_date_fen: number
  budget: {
    period: string
    year: number
    plan_name: string | null
    lines: BudgetLineExecution[]
    open_questions: { question_id: string; expense_number: number; question: string; asked_at: string }[]
  }
}
