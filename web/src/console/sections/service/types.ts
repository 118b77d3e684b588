/** The ledger's and ticketing's JSON as the service section reads it (amounts in integer fen). */

/** ledger: BudgetLinePublic / BudgetLineBody */
export interface BudgetLine {
  account: string
  name: string
  amount_fen: number
}

/** ledger: ServicePlanPublic (spending_fen: the lines plus the firm's remuneration) */
export interface ServicePlan {
  name: string
  fee_income_fen: number
  spending_fen: number
  lines: BudgetLine[]
}

export type LargeExpenseRule = 'ballot' | 'second_supervisor'

/** ledger: BudgetDraftPublic */
export interface BudgetDraft {
  id: string
  year: number
  /** draft, balloting, adopted or not_adopted */
  status: string
  /** The subject to give the ballot that decides this draft ('budget:<id>'). */
  ballot_subject: string
  ballot_id: string | null
  adopted_plan: string | null
  large_expense_threshold_fen: number
  large_expense_rule: string
  plans: ServicePlan[]
  created_at: string
  decided_at: string | null
}

/** ledger: BudgetDraftBody */
export interface BudgetDraftBody {
  year: number
  plans: { name: string; fee_income_fen: number; lines: BudgetLine[] }[]
  large_expense_threshold_fen: number
  large_expense_rule: LargeExpenseRule
}

/** ledger: BudgetPublic — the plan the owners adopted. */
export interface AdoptedBudget {
  year: number
  draft_id: string
  ballot_id: string
  adopted_at: string
  plan: ServicePlan
  large_expense_threshold_fen: number
  large_expense_rule: string
}

/** ledger: LineExecutionPublic */
export interface LineExecution {
  account: string
  name: string
  adopted_fen: number
  booked_in_period_fen: number
  booked_year_to_date_fen: number
  spent_fen: number
  committed_fen: number
  remaining_fen: number
}

/** ledger: OpenQuestionPublic */
export interface OpenQuestion {
  question_id: string
  expense_id: string
  expense_number: number
  question: string
  asked_at: string
}

/** ledger: BudgetExecutionPublic — one month. */
export interface MonthExecution {
  period: string
  year: number
  plan_name: string | null
  lines: LineExecution[]
  open_questions: OpenQuestion[]
}

/** ledger: VoucherPublic */
export interface Voucher {
  sha256: string
  size: number
  media_type: string
  file_name: string
}

export type ExpenseStatus =
  | 'proposed'
  | 'awaiting_ballot'
  | 'awaiting_second_approval'
  | 'approved'
  | 'paid'
  | 'rejected'

/** ledger: ExpensePublic */
export interface Expense {
  id: string
  number: number
  status: ExpenseStatus | string
  payee: string
  amount_fen: number
  account: string
  description: string
  year: number
  /** none, ballot or second_supervisor */
  needs: string
  ballot_subject: string | null
  ballot_id: string | null
  proposed_by: string
  proposed_at: string
  decided_at: string | null
  reason: string | null
  booking_transaction_id: string | null
  payment_transaction_id: string | null
  ticket_id: string | null
}

/** ledger: ExpenseBody */
export interface ExpenseBody {
  payee: string
  amount_fen: number
  account: string
  description: string
  vouchers: string[]
}

/** ledger: QuestionPublic */
export interface Question {
  id: string
  expense_id: string
  question: string
  asked_at: string
  answer: string | null
  answered_at: string | null
}

/** ledger: HistoryPublic */
export interface ExpenseHistory {
  action: string
  status: string
  by: string
  reason: string | null
  at: string
}

/** ledger: ExpenseDetailPublic */
export interface ExpenseDetail extends Expense {
  vouchers: Voucher[]
  history: ExpenseHistory[]
  questions: Question[]
}

// --- ticketing --------------------------------------------------------------------------------------

export type TicketStatus =
  | 'open'
  | 'acknowledged'
  | 'in_progress'
  | 'resolved'
  | 'confirmed'
  | 'closed'
  | 'withdrawn'

export const TICKET_STATUSES: readonly TicketStatus[] = [
  'open',
  'acknowledged',
  'in_progress',
  'resolved',
  'confirmed',
  'closed',
  'withdrawn',
]

/** ticketing: BreachPublic */
export interface Breach {
  kind: string
  level: string
  deadline: string
  detected_at: string
}

/** ticketing: TicketPublic (the fields the queue uses) */
export interface Ticket {
  id: string
  estate_code: string
  view: string
  category: string
  urgency: string
  status: TicketStatus | string
  visibility: string
  area: string | null
  grid_code: string | null
  description: string
  photos: string[]
  household_id: string | null
  reporter_kind: string
  assignee: string | null
  reported_at: string
  first_response_due_at: string
  resolution_due_at: string
  acknowledged_at: string | null
  resolved_at: string | null
  closed_at: string | null
  withdrawn_at: string | null
  reopen_count: number
  resolution_note: string | null
  breaches: Breach[]
  escalation_level: string | null
  complaint: boolean
  materials_fen: number
  version: number
}

/** ticketing: TicketPage */
export interface TicketPage {
  tickets: Ticket[]
  next_before: string | null
}

/** ticketing: TransitionPublic */
export interface TicketTransition {
  seq: number
  action: string
  at: string
  from_status: string | null
  to_status: string
  actor_role: string
  actor_subject: string | null
  note: string | null
  internal: boolean
  assignee: string | null
  materials_fen: number | null
}

/** ticketing: MaterialsPublic */
export interface MaterialsRecord {
  seq: number
  expense_id: string
  amount_fen: number
  account: string
  expense_status: string
  recorded_at: string
}

/** ticketing: TicketDetail */
export interface TicketDetail {
  ticket: Ticket
  history: TicketTransition[]
  materials: MaterialsRecord[]
}

/** ticketing: FilePublic */
export interface TicketFile {
  sha256: string
  size: number
  media_type: string
  purpose: string
  file_name: string
}

/** ticketing: MaterialsBody */
export interface MaterialsBody {
  supplier: string
  lines: { item: string; quantity: string; unit: string; unit_price_fen: number }[]
  budget_line: string
  receipts: string[]
}
