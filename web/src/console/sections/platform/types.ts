/** The registry's JSON (services/tenant/tenant_service/entrypoints/http_api.py). */
export type EstateStatus = 'provisioning' | 'active' | 'suspended' | 'offboarded'
export type RemunerationBasis = 'collected' | 'billed'

export interface AreaPublic {
  code: string
  name: string
}

export interface EstateNode {
  code: string
  name: string
  status: EstateStatus
}
export interface CommunityNode {
  code: string
  name: string
  estates: EstateNode[]
}
export interface SubDistrictNode {
  code: string
  name: string
  communities: CommunityNode[]
}
export interface DistrictNode {
  code: string
  name: string
  sub_districts: SubDistrictNode[]
}

export interface AccountCreate {
  username: string
  email: string
  first_name: string
  last_name: string
}

export interface EstateCreate {
  code: string
  name: string
  district_code: string
  sub_district_code: string
  community_code: string
  /** Fen per m² per month, a decimal string: '35' = ¥0.35. */
  fee_rate_fen_per_sqm_month: string
  remuneration_share_bps: number
  donation_share_bps: number
  remuneration_basis: RemunerationBasis
  billing_day: number
  firm_name: string
  books_from?: string | null
  firm_manager?: AccountCreate | null
  supervisor?: AccountCreate | null
}

export interface EstatePublic {
  code: string
  name: string
  district_code: string
  sub_district_code: string
  community_code: string
  fee_rate_fen_per_sqm_month: string
  remuneration_share_bps: number
  donation_share_bps: number
  remuneration_basis: RemunerationBasis
  billing_day: number
  time_zone: string
  firm_name: string
  status: EstateStatus
  books_from: string | null
}

export interface EstateOnboarded extends EstatePublic {
  initial_passwords: Record<string, string>
}

export interface RulesPublic {
  fee_rate_fen_per_sqm_month: string
  remuneration_share_bps: number
  donation_share_bps: number
  remuneration_basis: RemunerationBasis
  billing_day: number
}

export interface RuleChangePublic {
  effective_from: string
  rules: RulesPublic
  previous: RulesPublic | null
  reason: string
  changed_by: string
  changed_at: string
}

export interface RulesView {
  in_force: RulesPublic | null
  history: RuleChangePublic[]
}

export interface RulesChange extends RulesPublic {
  /** First day of a month, today or later: YYYY-MM-01. */
  effective_from: string
  reason: string
}

export interface ArchivePublic {
  id: string
  sha256: string
  size_bytes: number
  /** The route of the download, e.g. /v1/estates/x/archives/<id>. */
  download: string
}
