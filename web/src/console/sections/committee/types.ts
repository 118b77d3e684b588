/** The tenant service's governance API (services/tenant/tenant_service/entrypoints/http_governance.py). */

export type Level = 'estate' | 'community' | 'sub_district' | 'district'
export const LEVELS: readonly Level[] = ['estate', 'community', 'sub_district', 'district']

/** A figure: an integer, 'suppressed' (too few households or ratings), or null (nothing to measure). */
export type FigureValue = number | 'suppressed' | null

/** GovernanceFigures: rates in basis points, durations in seconds, amounts in fen. */
export interface Figures {
  period: string
  estates: number
  households: FigureValue
  collection_rate_bps: FigureValue
  ratings: FigureValue
  satisfaction_rate_bps: FigureValue
  first_response_median_seconds: FigureValue
  first_response_p90_seconds: FigureValue
  resolution_median_seconds: FigureValue
  resolution_p90_seconds: FigureValue
  first_response_within_target_bps: FigureValue
  resolution_within_target_bps: FigureValue
  complaints: FigureValue
  petitions: FigureValue
  petition_rate_bps: FigureValue
  fees_billed_fen: FigureValue
  fees_collected_fen: FigureValue
  budget_adopted_fen: Record<string, FigureValue>
  budget_actual_fen: Record<string, FigureValue>
  budget_execution_bps: Record<string, FigureValue>
  budget_total_execution_bps: FigureValue
  surplus_fen: FigureValue
  fund_pledged_fen: FigureValue
  fund_received_fen: FigureValue
  fund_granted_fen: FigureValue
}

/** AreaOut */
export interface AreaRow {
  level: Level
  code: string
  /** An estate's name; areas are named by their codes. */
  name: string | null
  district_code: string
  sub_district_code: string | null
  community_code: string | null
  figures: Figures
}

/** FiguresPage */
export interface FiguresPage {
  min_households: number
  min_ratings: number
  rows: AreaRow[]
  /** Rows across pages (format=json pages: `limit`, `offset`); absent from an older server. */
  total?: number
  limit?: number
  offset?: number
}

/** Ranked */
export interface Ranked {
  rank: number | null
  level: Level
  code: string
  name: string | null
  district_code: string
  value: FigureValue
  district_median: number | null
  difference: number | null
}

/** Ranking */
export interface Ranking {
  period: string
  metric: string
  level: Level
  lower_is_better: boolean
  rows: Ranked[]
}

/** ComparedMetric */
export interface ComparedMetric {
  metric: string
  value: FigureValue
  district_median: number | null
  difference: number | null
}

/** Comparison */
export interface Comparison {
  period: string
  estate_code: string
  name: string | null
  district_code: string
  estates_in_district: number
  metrics: ComparedMetric[]
}

/** SignedReport: `report` is the district's month; its canonical JSON's SHA-256 is `report_sha256`. */
export interface SignedReport {
  report: Record<string, unknown>
  report_sha256: string
  signed_note: string
  verifier_key: string
}

/** The parts of a report the page shows (it is read as it came; the digest is of the whole). */
export interface ReportBody {
  format: string
  district_code: string
  period: string
  issued_at: string
  thresholds: { min_households: number; min_ratings: number }
  district: AreaRow
  sub_districts: AreaRow[]
  communities: AreaRow[]
  estates: (AreaRow & {
    books_closed: boolean
    checkpoint: { origin: string; tree_size: number; root_hash: string; cosigned_by: string[] } | null
  })[]
}

export interface FiguresQuery {
  period?: string
  from?: string
  to?: string
  level?: Level
  area?: string
}
