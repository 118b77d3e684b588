/**
 * Shapes of the API answers the pages read, written from the services' OpenAPI documents
 * (tenant :8101, ledger :8102 — /openapi.json). Money is integer fen; dates are YYYY-MM-DD,
 * instants ISO 8601 with offset.
 */

/** tenant: EstatePublic */
export interface Estate {
  code: string
  name: string
  district_code: string
  sub_district_code: string
  community_code: string
  fee_rate_fen_per_sqm_month: string
  remuneration_share_bps: number
  donation_share_bps: number
  remuneration_basis: string
  billing_day: number
  time_zone: string
  firm_name: string
  status: string
}

/** tenant: HouseholdPublic */
export interface Household {
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

/** ledger: BillPublic */
export interface Bill {
  id: string
  period: string
  amount_fen: number
  billed_on: string
  area_centi_sqm: number
  /** Fen per m² per month, a decimal string. */
  rate: string
  occupied_days: number | null
  /** What is still owed on the bill. */
  due_fen: number
}

/** ledger: PaymentRecordPublic */
export interface PaymentRecord {
  id: string
  amount_fen: number
  /** cash, bank_transfer, wechat_pay or alipay */
  method: string
  reference: string
  received_on: string
  transaction_id: string
}

/** ledger: HouseholdAccountPublic */
export interface HouseholdAccount {
  household_id: string
  /** Arrears: what the household's bills still owe. */
  owed_fen: number
  /** Prepaid credit. */
  prepaid_fen: number
  bills: Bill[]
  payments: PaymentRecord[]
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

/** ledger: BudgetExecutionPublic */
export interface BudgetExecution {
  period: string
  year: number
  plan_name: string | null
  lines: LineExecution[]
  open_questions: OpenQuestion[]
}

/** ledger: StatementPublic */
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
  /** Keyed by the budget line's account. */
  expenses_by_budget_line: Record<string, number>
  remuneration_fen: number
  donation_fen: number
  closing_balance_fen: number
  surplus_year_to_date_fen: number
  budget: BudgetExecution
}

/** ledger: BudgetLinePublic */
export interface BudgetLine {
  account: string
  name: string
  amount_fen: number
}

/** ledger: BudgetPublic */
export interface Budget {
  year: number
  draft_id: string
  ballot_id: string
  adopted_at: string
  plan: {
    name: string
    fee_income_fen: number
    spending_fen: number
    lines: BudgetLine[]
  }
  large_expense_threshold_fen: number
  large_expense_rule: string
}

/** ticketing: ServiceTargetsPublic (the parts the pages read) */
export interface ServiceTargets {
  estate_code: string
  first_response_minutes: number
  resolution_minutes: number
  /** The categories residents choose from */
  categories: string[]
}

export type Urgency = 'low' | 'normal' | 'urgent' | 'emergency'

/** ticketing: FilePublic */
export interface TicketFile {
  sha256: string
  size: number
  media_type: string
  purpose: string
  file_name: string
}

/** ticketing: ReportBody */
export interface ReportBody {
  category: string
  urgency: Urgency
  description: string
  household_id: string | null
  area: string | null
  photos: string[]
}

/** ticketing: TicketPublic (the parts the pages read) */
export interface Ticket {
  id: string
  estate_code: string
  category: string
  urgency: string
  /** open, acknowledged, in_progress, resolved, confirmed, closed, withdrawn */
  status: string
  area: string | null
  description: string
  photos: string[]
  household_id: string | null
  reported_at: string
  first_response_due_at: string
  resolution_due_at: string
  resolved_at: string | null
  confirmed_at: string | null
  reopen_count: number
  resolution_note: string | null
  rating: { score: number; comment: string | null } | null
  complaint: boolean
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
  note: string | null
}

/** ticketing: TicketDetail */
export interface TicketDetail {
  ticket: Ticket
  history: TicketTransition[]
}

/** microfund: FirmPublic */
export interface FundFirm {
  estate_code: string
  pledged_fen: number
  received_fen: number
  outstanding_fen: number
}

/** microfund: DonationPublic */
export interface FundDonation {
  id: string
  source: string
  estate_code: string | null
  amount_fen: number
  received_on: string
  donor: string | null
  note: string
}

/** microfund: InstalmentPublic */
export interface GrantInstalment {
  number: number
  amount_fen: number
  receipt: string
  paid_on: string
}

/** microfund: GrantPublic */
export interface Grant {
  id: string
  number: number
  title: string
  purpose: string
  budget: { item: string; amount_fen: number }[]
  amount_fen: number
  benefiting_estates: string[]
  applicant_kind: string
  group_name: string | null
  /** applied, awaiting_ballot, approved, rejected, closed */
  status: string
  approved_fen: number
  disbursed_fen: number
  decision_note: string
  instalments: GrantInstalment[]
}

/** microfund: StatementPublic */
export interface FundStatement {
  community_code: string
  name: string
  estates: string[]
  threshold_fen: number
  balance_fen: number
  pledges_receivable_fen: number
  grants_payable_fen: number
  donations_from_firms_fen: number
  other_donations_fen: number
  grants_fen: number
  firms: FundFirm[]
  donations: FundDonation[]
  grants: Grant[]
}

/** microfund: ApplicationBody */
export interface GrantApplication {
  title: string
  purpose: string
  budget: { item: string; amount_fen: number }[]
  benefiting_estates: string[]
  applicant_kind: 'resident' | 'resident_group'
  group_name: string | null
}

/** ledger: ExpensePublic */
export interface Expense {
  id: string
  number: number
  status: string
  payee: string
  amount_fen: number
  account: string
  description: string
  year: number
  proposed_at: string
}

/** ledger: VoucherPublic */
export interface Voucher {
  sha256: string
  size: number
  media_type: string
  file_name: string
}

/** ledger: QuestionPublic */
export interface ExpenseQuestion {
  id: string
  expense_id: string
  question: string
  asked_at: string
  answer: string | null
  answered_at: string | null
}

/** ledger: ExpenseDetailPublic */
export interface ExpenseDetail extends Expense {
  vouchers: Voucher[]
  questions: ExpenseQuestion[]
}

/** ledger: LogKeyPublic — the estate's log key (Go note verifier key) and the witnesses' keys. */
export interface LogKey {
  origin: string
  log_key: string
  witness_keys: { witness_key: string; name: string; registered_at: string; retired_at: string | null }[]
}

/** ledger: CheckpointPublic — a signed checkpoint of the estate's log. */
export interface PublishedCheckpoint {
  tree_size: number
  /** The month whose close signed it. */
  period: string
  /** The signed note: the log's signature, then each cosignature line. */
  note: string
  published_at: string
  cosigned: boolean
  cosignatures: { witness_key: string; cosigned_at: string }[]
}

/** ledger: an entry's inclusion proof (xinyi-inclusion/v1), checked by src/verify/. */
export interface InclusionBundle {
  format: string
  checkpoint: string
  entry: Record<string, unknown>
  leaf_index: number
  tree_size: number
  leaf_hash?: string
  inclusion_proof: string[]
  consistency?: { from_checkpoint: string; proof: string[] }
}

/** ledger: OpeningPublic — the household's secret that opens its commitments in the log. */
export interface HouseholdOpening {
  household_id: string
  opening: string
}

/** tenant: BallotSummary */
export interface BallotSummary {
  id: string
  kind: string
  subject: string
  question: string
  opens_at: string
  closes_at: string
  closed_at: string | null
}

/** tenant: BallotResultPublic */
export interface BallotResult {
  tally: Record<string, number>
  votes_cast: number
  electorate_size: number
  quorum_met: boolean
  adopted_option: string | null
  /** Per option, the fingerprints of the counted receipts. */
  audit: Record<string, string[]>
}

/** tenant: BallotPublic */
export interface Ballot extends Omit<BallotSummary, 'closed_at'> {
  options: string[]
  quorum_bps: number
  /** simple_majority, two_thirds, three_quarters or plurality */
  threshold: string
  /** votes_cast or all_households */
  threshold_base: string
  /** scheduled, open or closed */
  status: string
  electorate_size: number
  votes_cast: number
  /** The caller's households in the electorate, each with its current choice (null: none yet). */
  own_votes: Record<string, string | null>
  result: BallotResult | null
}

/** tenant: VoteReceipt — the receipt code is shown once: the API never gives it again. */
export interface VoteReceipt {
  household_id: string
  receipt_code: string
}

/** tenant: ReceiptCheck */
export interface ReceiptCheck {
  counted: boolean
  option: string | null
}
