/**
 * The community officer's calls to the micro-fund: which community's fund the estate donates to,
 * its statement, money received (recorded, and listed a page at a time), files, and grants from
 * review to closing. Money received and instalments carry an Idempotency-Key (the API requires one):
 * the form keeps its key until the API has answered, so a retry after a lost answer records nothing
 * twice.
 */
import { path, type PagedApiClient, type Page, type RequestOptions } from '@/api/client'
import type { DonationBody, FundDonation, FundFile, FundMembership, FundStatement, GrantDetail, OfficerGrant } from './types'

export function newIdempotencyKey(prefix = 'console'): string {
  const random =
    typeof crypto !== 'undefined' && 'randomUUID' in crypto
      ? crypto.randomUUID()
      : `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`
  return `${prefix}-${random}`
}

export function communityApi(api: PagedApiClient) {
  const fund = (community: string) => path`/v1/communities/${community}/fund`
  const post = <T>(route: string, body: unknown, key?: string) => {
    const options: RequestOptions = { method: 'POST', body, ...(key ? { headers: { 'Idempotency-Key': key } } : {}) }
    return api.request<T>('microfund', route, options)
  }
  return {
    membership: (estate: string) => api.get<FundMembership>('microfund', path`/v1/estates/${estate}/fund`),
    statement: (community: string) => api.get<FundStatement>('microfund', fund(community)),
    /** A page of the money the fund received, newest first (by the day received), its total from X-Total-Count. */
    donations: (community: string, limit: number, offset: number): Promise<Page<FundDonation>> =>
      api.getPage<FundDonation>('microfund', `${fund(community)}/donations`, { limit, offset }),
    recordDonation: (community: string, body: DonationBody, key: string) =>
      post<FundDonation>(`${fund(community)}/donations`, body, key),
    uploadFile: (community: string, file: File) => {
      const form = new FormData()
      form.append('file', file, file.name)
      return api.request<FundFile>('microfund', `${fund(community)}/files`, { method: 'POST', body: form })
    },
    file: (community: string, sha256: string) => api.blob('microfund', `${fund(community)}/files/${encodeURIComponent(sha256)}`),
    /** A page of the fund's grants, in the server's order (by number, oldest first). */
    grants: (community: string, limit: number, offset: number): Promise<Page<OfficerGrant>> =>
      api.getPage<OfficerGrant>('microfund', `${fund(community)}/grants`, { limit, offset }),
    grant: (community: string, id: string) => api.get<GrantDetail>('microfund', `${fund(community)}/grants/${encodeURIComponent(id)}`),
    review: (community: string, id: string, approve: boolean, note: string) =>
      post<OfficerGrant>(`${fund(community)}/grants/${encodeURIComponent(id)}/review`, { approve, note }),
    disburse: (community: string, id: string, body: { amount_fen: number; receipt: string; paid_on: string }, key: string) =>
      post<OfficerGrant>(`${fund(community)}/grants/${encodeURIComponent(id)}/disbursements`, body, key),
    close: (community: string, id: string, body: { report: string; photos: string[] }) =>
      post<OfficerGrant>(`${fund(community)}/grants/${encodeURIComponent(id)}/close`, body),
  }
}

export type CommunityApi = ReturnType<typeof communityApi>
