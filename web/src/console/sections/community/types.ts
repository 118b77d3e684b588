/** The micro-fund's HTTP API (services/microfund/microfund_service/entrypoints/http_funds.py) as the officer reads it. */
import type { FundDonation, FundFirm, FundStatement, Grant } from '@/api/types'

export type { FundDonation, FundFirm, FundStatement }

export type DonorKind = 'firm' | 'resident' | 'business' | 'sub_district' | 'other'
export const DONOR_KINDS: readonly DonorKind[] = ['firm', 'resident', 'business', 'sub_district', 'other']

export type GrantStatus = 'applied' | 'awaiting_ballot' | 'approved' | 'rejected' | 'closed'
export const GRANT_STATUSES: readonly GrantStatus[] = ['applied', 'awaiting_ballot', 'approved', 'rejected', 'closed']

/** GrantPublic, with what the officer sees beside the residents' view. */
export interface OfficerGrant extends Grant {
  applicant: string | null
  decided_by: string | null
  ballot_subject: string
  ballots: Record<string, string>
  attachments: string[]
  report: string
  report_photos: string[]
}

/** GrantDetail */
export interface GrantDetail {
  grant: OfficerGrant
  history: { action: string; at: string; detail: Record<string, unknown> }[]
}

/** FundMembershipPublic (GET /v1/estates/{code}/fund) */
export interface FundMembership {
  estate_code: string
  community_code: string
}

/** DonationBody */
export interface DonationBody {
  source: DonorKind
  amount_fen: number
  received_on: string
  estate_code?: string | null
  donor_name?: string | null
  anonymous?: boolean
  note?: string
}

/** FilePublic */
export interface FundFile {
  sha256: string
  size: number
  media_type: string
  file_name: string
}
