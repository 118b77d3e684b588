/** Answers of the APIs as the services give them (shapes of their OpenAPI documents). */
import type {
  Budget,
  Estate,
  Expense,
  ExpenseDetail,
  FundStatement,
  Household,
  HouseholdAccount,
  ServiceTargets,
  Statement,
  Ticket,
  TicketDetail,
  TicketFile,
} from '@/api/types'
import type { SessionUser } from '@/auth/auth'

export const ESTATE = 'jinhe-lvzhou'

export const resident: SessionUser = {
  username: 'resident',
  displayName: 'Resident User',
  roles: ['resident'],
  estates: [ESTATE],
}

export const estate: Estate = {
  code: ESTATE,
  name: '金河绿洲',
  district_code: 'shuangliu',
  sub_district_code: 'dongsheng',
  community_code: 'jinhe',
  fee_rate_fen_per_sqm_month: '35',
  remuneration_share_bps: 1500,
  donation_share_bps: 3000,
  remuneration_basis: 'collected',
  billing_day: 1,
  time_zone: 'Asia/Shanghai',
  firm_name: '',
  status: 'active',
}

export const household: Household = {
  id: '6f1c2a52-8d0e-4f39-9a57-1b2c3d4e5f60',
  building: '3',
  unit: '2',
  floor: '15',
  room: '1502',
  area_sqm: '90.00',
  area_centi_sqm: 9000,
  grid_code: 'g-03',
  occupied_from: '2020-05-01',
  occupied_until: null,
}

export const account: HouseholdAccount = {
  household_id: household.id,
  owed_fen: 3150,
  prepaid_fen: 500,
  bills: [
    {
      id: 'bill-2026-10',
      period: '2026-10',
      amount_fen: 3150,
      billed_on: '2026-10-01',
      area_centi_sqm: 9000,
      rate: '35',
      occupied_days: null,
      due_fen: 0,
    },
    {
      id: 'bill-2026-11',
      period: '2026-11',
      amount_fen: 3150,
      billed_on: '2026-11-01',
      area_centi_sqm: 9000,
      rate: '35.0000',
      occupied_days: null,
      due_fen: 3150,
    },
  ],
  payments: [
    {
      id: 'payment-1',
      amount_fen: 3650,
      method: 'wechat_pay',
      reference: 'WX20261005001',
      received_on: '2026-10-05',
      transaction_id: 'tx-1',
    },
  ],
}

export const statement: Statement = {
  estate_code: ESTATE,
  estate_name: '金河绿洲',
  closed: true,
  period: '2026-10',
  opening_balance_fen: 1000000,
  fees_billed_fen: 10000000,
  fees_collected_fen: 9850000,
  collection_rate_bps: 9850,
  common_income_by_kind: { parking: 120000, advertising: 30000, venue_rent: 0, other: 0 },
  expenses_by_budget_line: { '5101': 2000000, '5102': 850000 },
  remuneration_fen: 1477500,
  donation_fen: 443250,
  closing_balance_fen: 6400000,
  surplus_year_to_date_fen: 30000000,
  budget: {
    period: '2026-10',
    year: 2026,
    plan_name: '基础服务方案',
    lines: [
      {
        account: '5101',
        name: '保洁',
        adopted_fen: 24000000,
        booked_in_period_fen: 2000000,
        booked_year_to_date_fen: 20000000,
        spent_fen: 18000000,
        committed_fen: 2000000,
        remaining_fen: 4000000,
      },
      {
        account: '5102',
        name: '绿化',
        adopted_fen: 12000000,
        booked_in_period_fen: 850000,
        booked_year_to_date_fen: 9000000,
        spent_fen: 9000000,
        committed_fen: 0,
        remaining_fen: 3000000,
      },
    ],
    open_questions: [
      {
        question_id: 'q-1',
        expense_id: 'e-7',
        expense_number: 7,
        question: '为什么十月的绿化费比九月高？',
        asked_at: '2026-10-20T12:30:00+00:00',
      },
    ],
  },
}

export const budget: Budget = {
  year: 2026,
  draft_id: 'draft-1',
  ballot_id: 'ballot-1',
  adopted_at: '2026-01-10T02:00:00+00:00',
  plan: {
    name: '基础服务方案',
    fee_income_fen: 120000000,
    spending_fen: 100000000,
    lines: [
      { account: '5101', name: '保洁', amount_fen: 24000000 },
      { account: '5102', name: '绿化', amount_fen: 12000000 },
    ],
  },
  large_expense_threshold_fen: 5000000,
  large_expense_rule: 'ballot',
}

/** An unsigned JWT with these claims (the pages only read tokens; the APIs verify them). */
export const serviceTargets: ServiceTargets = {
  estate_code: ESTATE,
  first_response_minutes: 60,
  resolution_minutes: 1440,
  categories: ['lighting', 'plumbing'],
}

export const ticketFile: TicketFile = {
  sha256: 'a'.repeat(64),
  size: 68,
  media_type: 'image/png',
  purpose: 'photo',
  file_name: 'light.png',
}

export const ticket: Ticket = {
  id: 'tkt-1',
  estate_code: ESTATE,
  category: 'lighting',
  urgency: 'normal',
  status: 'resolved',
  area: '3栋2单元',
  description: '楼道灯不亮',
  photos: ['a'.repeat(64)],
  household_id: 'hh-1',
  reported_at: '2026-03-02T01:00:00Z',
  first_response_due_at: '2026-03-02T02:00:00Z',
  resolution_due_at: '2026-03-03T01:00:00Z',
  resolved_at: '2026-03-02T06:00:00Z',
  confirmed_at: null,
  reopen_count: 0,
  resolution_note: '更换LED灯泡',
  rating: null,
  complaint: false,
}

export const ticketDetail: TicketDetail = {
  ticket,
  history: [
    { seq: 1, action: 'report', at: '2026-03-02T01:00:00Z', from_status: null, to_status: 'open', actor_role: 'resident', note: null },
    { seq: 2, action: 'resolve', at: '2026-03-02T06:00:00Z', from_status: 'acknowledged', to_status: 'resolved', actor_role: 'firm_staff', note: '更换LED灯泡' },
  ],
}

export const fundStatement: FundStatement = {
  community_code: 'C-001',
  name: '绿洲社区微基金',
  estates: [ESTATE],
  threshold_fen: 500000,
  balance_fen: 1234500,
  pledges_receivable_fen: 20000,
  grants_payable_fen: 0,
  donations_from_firms_fen: 1500000,
  other_donations_fen: 10000,
  grants_fen: 300000,
  firms: [{ estate_code: ESTATE, pledged_fen: 1500000, received_fen: 1480000, outstanding_fen: 20000 }],
  donations: [
    { id: 'don-1', source: 'firm', estate_code: ESTATE, amount_fen: 1480000, received_on: '2026-02-01', donor: null, note: '' },
  ],
  grants: [
    {
      id: 'grant-1',
      number: 1,
      title: '儿童游乐区维修',
      purpose: '更换损坏的滑梯',
      budget: [{ item: '滑梯', amount_fen: 300000 }],
      amount_fen: 300000,
      benefiting_estates: [ESTATE],
      applicant_kind: 'resident',
      group_name: null,
      status: 'approved',
      approved_fen: 300000,
      disbursed_fen: 150000,
      decision_note: '',
      instalments: [{ number: 1, amount_fen: 150000, receipt: 'b'.repeat(64), paid_on: '2026-02-10' }],
    },
  ],
}

export const expense: Expense = {
  id: 'exp-1',
  number: 7,
  status: 'paid',
  payee: '明亮电器',
  amount_fen: 128000,
  account: '5100',
  description: '更换楼道灯',
  year: 2026,
  proposed_at: '2026-03-01T02:00:00Z',
}

export const expenseDetail: ExpenseDetail = {
  ...expense,
  vouchers: [{ sha256: 'c'.repeat(64), size: 1000, media_type: 'application/pdf', file_name: 'invoice.pdf' }],
  questions: [
    { id: 'q-1', expense_id: 'exp-1', question: '为什么这么贵？', asked_at: '2026-03-02T02:00:00Z', answer: '含人工费', answered_at: '2026-03-03T02:00:00Z' },
  ],
}

export function fakeJwt(claims: Record<string, unknown>): string {
  const encode = (value: object) =>
    btoa(String.fromCharCode(...new TextEncoder().encode(JSON.stringify(value))))
      .replace(/\+/g, '-')
      .replace(/\//g, '_')
      .replace(/=+$/, '')
  return `${encode({ alg: 'RS256', typ: 'JWT' })}.${encode(claims)}.signature`
}

// ---------------------------------------------------------------- verify my payment, ballots

import type {
  Ballot,
  BallotSummary,
  HouseholdOpening,
  InclusionBundle,
  LogKey,
  PublishedCheckpoint,
  VoteReceipt,
} from '@/api/types'
import verifyFixture from '@/verify/fixture.json'

/** A bundle the Python ledger code built (src/verify/fixture.json), for the household's payment. */
const verifyCase = verifyFixture.cases[0]!
export const proofBundle: InclusionBundle = verifyCase.bundle
export const provenTransaction: string = verifyCase.bundle.entry.id

export const logKey: LogKey = {
  origin: 'ledger.xinyi.example/estates/jinhe-lvzhou',
  log_key: verifyFixture.log_key,
  witness_keys: [
    {
      witness_key: verifyFixture.witness_key,
      name: 'supervisor.jinhe-lvzhou/witness',
      registered_at: '2026-01-01T00:00:00Z',
      retired_at: null,
    },
  ],
}

export const latestCheckpoint: PublishedCheckpoint = {
  tree_size: verifyCase.bundle.tree_size,
  period: '2026-10',
  note: verifyCase.bundle.checkpoint,
  published_at: '2026-11-01T01:00:00Z',
  cosigned: true,
  cosignatures: [{ witness_key: verifyFixture.witness_key, cosigned_at: '2026-11-01T02:00:00Z' }],
}

export const opening: HouseholdOpening = { household_id: household.id, opening: verifyCase.opening }
export const otherOpening: HouseholdOpening = { household_id: household.id, opening: verifyCase.other_opening }

export const openBallotSummary: BallotSummary = {
  id: '0b6a1f0e-5a3c-4f7e-9c1d-2e3f4a5b6c7d',
  kind: 'general',
  subject: 'lift-2027',
  question: '是否更换3栋电梯？',
  opens_at: '2026-11-20T00:00:00Z',
  closes_at: '2099-12-20T00:00:00Z',
  closed_at: null,
}

export const closedBallotSummary: BallotSummary = {
  id: '1c7b2f1f-6b4d-4a8f-8d2e-3f4a5b6c7d8e',
  kind: 'general',
  subject: '',
  question: '是否在小区增设快递柜？',
  opens_at: '2026-09-01T00:00:00Z',
  closes_at: '2026-09-30T00:00:00Z',
  closed_at: '2026-09-30T00:00:05Z',
}

export const openBallot: Ballot = {
  ...openBallotSummary,
  options: ['同意', '反对', '弃权'],
  quorum_bps: 6667,
  threshold: 'simple_majority',
  threshold_base: 'votes_cast',
  status: 'open',
  electorate_size: 120,
  votes_cast: 37,
  own_votes: { [household.id]: null },
  result: null,
}

export const closedBallot: Ballot = {
  ...closedBallotSummary,
  options: ['同意', '反对'],
  quorum_bps: 5000,
  threshold: 'two_thirds',
  threshold_base: 'all_households',
  status: 'closed',
  electorate_size: 120,
  votes_cast: 90,
  own_votes: { [household.id]: '同意' },
  result: {
    tally: { 同意: 84, 反对: 6 },
    votes_cast: 90,
    electorate_size: 120,
    quorum_met: true,
    adopted_option: '同意',
    audit: { 同意: ['0123456789abcdef'], 反对: [] },
  },
}

export const voteReceipt: VoteReceipt = { household_id: household.id, receipt_code: 'K7QX-M2PA-9HVD' }
