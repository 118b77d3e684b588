/** Figures as the governance API answers them, for the committee's unit tests (imported by tests only). */
import type { AreaRow, Comparison, Figures, FiguresPage, Ranking } from './types'

export const PERIOD = '2026-10'

export function figuresOf(overrides: Partial<Figures> = {}, period = PERIOD): Figures {
  return {
    period,
    estates: 1,
    households: 120,
    collection_rate_bps: 9250,
    ratings: 12,
    satisfaction_rate_bps: 8333,
    first_response_median_seconds: 1800,
    first_response_p90_seconds: 7260,
    resolution_median_seconds: 90000,
    resolution_p90_seconds: 172800,
    first_response_within_target_bps: 9000,
    resolution_within_target_bps: 7500,
    complaints: 1,
    petitions: 0,
    petition_rate_bps: 0,
    fees_billed_fen: 1234567,
    fees_collected_fen: 1142000,
    budget_adopted_fen: {},
    budget_actual_fen: {},
    budget_execution_bps: {},
    budget_total_execution_bps: 8120,
    surplus_fen: -257690,
    fund_pledged_fen: 14200,
    fund_received_fen: 10000,
    fund_granted_fen: null,
    ...overrides,
  }
}

export const estateRow: AreaRow = {
  level: 'estate',
  code: 'jinhe-lvzhou',
  name: '金河绿洲',
  district_code: 'shuangliu',
  sub_district_code: 'dongsheng',
  community_code: 'jinhe',
  figures: figuresOf(),
}

export const smallEstateRow: AreaRow = {
  ...estateRow,
  code: 'xiaoyuan',
  name: '小院',
  figures: figuresOf({
    households: 'suppressed',
    collection_rate_bps: 'suppressed',
    satisfaction_rate_bps: 'suppressed',
    ratings: 'suppressed',
    surplus_fen: 'suppressed',
  }),
}

export const districtRow: AreaRow = {
  level: 'district',
  code: 'shuangliu',
  name: null,
  district_code: 'shuangliu',
  sub_district_code: null,
  community_code: null,
  figures: figuresOf({ estates: 2, households: 130 }),
}

export const communityRow: AreaRow = { ...districtRow, level: 'community', code: 'jinhe', community_code: 'jinhe', sub_district_code: 'dongsheng' }

export function page(rows: AreaRow[]): FiguresPage {
  return { min_households: 20, min_ratings: 5, rows }
}

export const ranking: Ranking = {
  period: PERIOD,
  metric: 'collection_rate_bps',
  level: 'estate',
  lower_is_better: false,
  rows: [
    { rank: 1, level: 'estate', code: 'jinhe-lvzhou', name: '金河绿洲', district_code: 'shuangliu', value: 9250, district_median: 9250, difference: 0 },
    { rank: null, level: 'estate', code: 'xiaoyuan', name: '小院', district_code: 'shuangliu', value: 'suppressed', district_median: 9250, difference: null },
  ],
}

export const comparison: Comparison = {
  period: PERIOD,
  estate_code: 'jinhe-lvzhou',
  name: '金河绿洲',
  district_code: 'shuangliu',
  estates_in_district: 2,
  metrics: [
    { metric: 'collection_rate_bps', value: 9250, district_median: 9000, difference: 250 },
    { metric: 'resolution_median_seconds', value: 90000, district_median: 93600, difference: -3600 },
    { metric: 'surplus_fen', value: 'suppressed', district_median: null, difference: null },
  ],
}
