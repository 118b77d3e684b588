/**
 * The firm's accounts of an estate (tenant GET /v1/estates/{code}/staff): whom a ticket may be
 * assigned to, and the names the queue shows instead of account ids.
 */
import { allPages, path, type PagedApiClient } from '@/api/client'

export interface StaffAccount {
  account_id: string
  username: string
  display_name: string
  roles: string[]
}

/** Every firm account of the estate, by display name (the server's order). */
export const estateStaff = (api: Pick<PagedApiClient, 'getPage'>, code: string): Promise<StaffAccount[]> =>
  allPages<StaffAccount>(api, 'tenant', path`/v1/estates/${code}/staff`)

/** The label of an account: "王经理 (wang.manager)"; an id the list does not know is shown as it is. */
export function staffLabel(staff: readonly StaffAccount[], accountId: string | null | undefined): string {
  if (!accountId) return '—'
  const account = staff.find((s) => s.account_id === accountId)
  if (!account) return accountId
  return account.display_name === account.username ? account.username : `${account.display_name} (${account.username})`
}
