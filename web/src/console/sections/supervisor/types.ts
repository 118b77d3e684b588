/** The tenant's ballots and the ledger's log as the supervisor section reads them. */

/** tenant: BallotCreate */
export interface BallotCreate {
  kind: 'general' | 'service_plan'
  subject: string | null
  question: string
  options: string[]
  quorum_bps: number
  threshold: 'simple_majority' | 'two_thirds' | 'three_quarters' | 'plurality'
  threshold_base: 'votes_cast' | 'all_households'
  opens_at: string
  closes_at: string
}

/** tenant: BallotOpened */
export interface BallotOpened {
  id: string
  electorate_size: number
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
  audit: Record<string, string[]>
}

/** tenant: BallotPublic */
export interface Ballot extends Omit<BallotSummary, 'closed_at'> {
  options: string[]
  quorum_bps: number
  threshold: string
  threshold_base: string
  /** scheduled, open or closed */
  status: string
  electorate_size: number
  votes_cast: number
  own_votes: Record<string, string | null>
  result: BallotResult | null
}

/** ledger: LogKeyPublic */
export interface LogKey {
  origin: string
  log_key: string
  witness_keys: { witness_key: string; name: string; registered_at: string; retired_at: string | null }[]
}

/** ledger: CheckpointPublic */
export interface Checkpoint {
  tree_size: number
  period: string
  note: string
  published_at: string
  cosigned: boolean
  cosignatures: { witness_key: string; cosigned_at: string }[]
}

/** ledger: xinyi-consistency/v1 */
export interface ConsistencyBundle {
  format: string
  old: string
  new: string
  proof: string[]
}
