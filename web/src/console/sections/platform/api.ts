/** The platform team's routes of the registry (tenant service). */
import { path, type PagedApiClient, type Page } from '@/api/client'
import type {
  AreaPublic,
  ArchivePublic,
  DistrictNode,
  EstateCreate,
  EstateOnboarded,
  EstatePublic,
  RulesChange,
  RulesView,
} from './types'

/** A page of GET /v1/estates: `limit`/`offset`, a search `q`, and optionally an area. */
export interface EstatesQuery {
  limit: number
  offset: number
  q?: string
  district?: string
  subDistrict?: string
  community?: string
}

export function platformApi(api: PagedApiClient) {
  return {
    hierarchy: () => api.get<DistrictNode[]>('tenant', '/v1/hierarchy'),
    createDistrict: (body: AreaPublic) => api.request<AreaPublic>('tenant', '/v1/districts', { method: 'POST', body }),
    createSubDistrict: (district: string, body: AreaPublic) =>
      api.request<AreaPublic>('tenant', path`/v1/districts/${district}/sub-districts`, { method: 'POST', body }),
    createCommunity: (subDistrict: string, body: AreaPublic) =>
      api.request<AreaPublic>('tenant', path`/v1/sub-districts/${subDistrict}/communities`, { method: 'POST', body }),
    /** A page of the estates; `q` finds a code or name (any case, a part of it) on the server. */
    estates: (page: EstatesQuery): Promise<Page<EstatePublic>> =>
      api.getPage<EstatePublic>('tenant', '/v1/estates', {
        limit: page.limit,
        offset: page.offset,
        query: {
          q: page.q?.trim().slice(0, 100) || undefined, // the route takes 1..100 characters
          district: page.district || undefined,
          sub_district: page.subDistrict || undefined,
          community: page.community || undefined,
        },
      }),
    estate: (code: string) => api.get<EstatePublic>('tenant', path`/v1/estates/${code}`),
    onboard: (body: EstateCreate) => api.request<EstateOnboarded>('tenant', '/v1/estates', { method: 'POST', body }),
    rules: (code: string) => api.get<RulesView>('tenant', path`/v1/estates/${code}/rules`),
    changeRules: (code: string, body: RulesChange) =>
      api.request<RulesView>('tenant', path`/v1/estates/${code}/rules`, { method: 'POST', body }),
    suspend: (code: string, reason: string) =>
      api.request<EstatePublic>('tenant', path`/v1/estates/${code}/suspend`, { method: 'POST', body: { reason } }),
    resume: (code: string) => api.request<EstatePublic>('tenant', path`/v1/estates/${code}/resume`, { method: 'POST' }),
    exportData: (code: string) =>
      api.request<ArchivePublic>('tenant', path`/v1/estates/${code}/export`, { method: 'POST' }),
    archive: (code: string, id: string) => api.blob('tenant', path`/v1/estates/${code}/archives/${id}`),
    offboard: (code: string, archiveSha256: string) =>
      api.request<EstatePublic>('tenant', path`/v1/estates/${code}/offboard`, {
        method: 'POST',
        body: { archive_sha256: archiveSha256 },
      }),
  }
}

export type PlatformApi = ReturnType<typeof platformApi>

/** Fen per m² per month as yuan: '35' → '0.35', '35.5' → '0.355' (exact, on the decimal string). */
export function fenRateAsYuan(fen: string): string {
  const match = /^(\d+)(?:\.(\d+))?$/.exec(fen.trim())
  if (!match) return fen
  const digits = (match[1] ?? '0') + (match[2] ?? '')
  const scale = (match[2] ?? '').length + 2
  const padded = digits.padStart(scale + 1, '0')
  const whole = padded.slice(0, padded.length - scale).replace(/^0+(?=\d)/, '')
  const fraction = padded.slice(padded.length - scale).replace(/0+$/, '')
  return `${whole}.${fraction.padEnd(2, '0')}`
}

/** 1500 → '15.00%'. */
export function bpsAsPercent(bps: number): string {
  return `${Math.floor(bps / 100)}.${String(bps % 100).padStart(2, '0')}%`
}
