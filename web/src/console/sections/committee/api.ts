/**
 * The committee's calls: the tenant service's governance API only (aggregates; no person, household
 * or unit is in any answer), and the service's own OpenAPI document to learn whether it offers XLSX.
 */
import { MAX_PAGE_LIMIT, path, type PagedApiClient } from '@/api/client'
import type { Comparison, FiguresPage, FiguresQuery, Ranking, SignedReport } from './types'

function query(values: Record<string, string | undefined>): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {}
  for (const [key, value] of Object.entries(values)) if (value) out[key] = value
  return out
}

function withQuery(route: string, values: Record<string, string | undefined>): string {
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(query(values))) if (value) params.set(key, value)
  const text = params.toString()
  return text ? `${route}?${text}` : route
}

export type ExportFormat = 'csv' | 'xlsx'

/** A page of figures: its rows and the total across pages (always set). */
export type FiguresOnePage = FiguresPage & { total: number }

export function committeeApi(api: PagedApiClient) {
  /**
   * `limit` rows of the figures from `offset` (format=json), the total from the body (`total`) or
   * X-Total-Count; an older server, giving every row without a total, is paged here.
   */
  async function figuresPage(q: FiguresQuery, limit: number, offset: number, signal?: AbortSignal): Promise<FiguresOnePage> {
    const { body, total } = await api.getCounted<FiguresPage>('tenant', '/v1/governance/figures', {
      query: { ...query({ ...q }), limit, offset },
      signal,
    })
    const counted = body.total ?? total
    if (counted !== undefined && counted !== null) return { ...body, total: counted }
    const rows = body.rows.length > limit ? body.rows.slice(offset, offset + limit) : body.rows
    return { ...body, rows, total: body.rows.length }
  }
  return {
    figuresPage,
    /** Every row of the figures (pages of 500): an area filter's choices, the trend, a report's districts. */
    figures: async (q: FiguresQuery, signal?: AbortSignal): Promise<FiguresOnePage> => {
      const first = await figuresPage(q, MAX_PAGE_LIMIT, 0, signal)
      const rows = [...first.rows]
      while (rows.length < first.total) {
        const next = await figuresPage(q, MAX_PAGE_LIMIT, rows.length, signal)
        if (!next.rows.length) break
        rows.push(...next.rows)
      }
      return { ...first, rows, total: rows.length, limit: undefined, offset: undefined }
    },
    /** The API's own export (CSV, or XLSX where offered), fetched with the token as a file. */
    figuresFile: (q: FiguresQuery, format: ExportFormat) =>
      api.blob('tenant', withQuery('/v1/governance/figures', { ...q, format })),
    ranking: (q: { period: string; metric: string; level: string; area?: string }, signal?: AbortSignal) =>
      api.get<Ranking>('tenant', '/v1/governance/ranking', { query: query(q), signal }),
    comparison: (estate: string, period: string, signal?: AbortSignal) =>
      api.get<Comparison>('tenant', path`/v1/governance/estates/${estate}/comparison`, { query: { period }, signal }),
    report: (period: string, district?: string) =>
      api.get<SignedReport>('tenant', path`/v1/governance/reports/${period}`, { query: query({ district }) }),
    reportKey: () => api.get<{ verifier_key: string }>('tenant', '/v1/governance/report-key'),
    /** Whether the figures route lists `xlsx` among its formats in the service's OpenAPI. */
    offersXlsx: async (): Promise<boolean> => {
      try {
        return openApiOffersXlsx(await api.get<unknown>('tenant', '/openapi.json'))
      } catch {
        return false
      }
    },
  }
}

export type CommitteeApi = ReturnType<typeof committeeApi>

/** Looks for 'xlsx' in the enum of the `format` parameter of GET /v1/governance/figures. */
export function openApiOffersXlsx(document: unknown): boolean {
  const doc = document as {
    paths?: Record<string, { get?: { parameters?: { name?: string; schema?: unknown }[] } }>
    components?: { schemas?: Record<string, unknown> }
  }
  const parameters = doc?.paths?.['/v1/governance/figures']?.get?.parameters ?? []
  const format = parameters.find((p) => p?.name === 'format')
  if (!format) return false
  const found: string[] = []
  const seen = new Set<unknown>()
  const walk = (schema: unknown): void => {
    if (!schema || typeof schema !== 'object' || seen.has(schema)) return
    seen.add(schema)
    const s = schema as Record<string, unknown>
    if (Array.isArray(s.enum)) found.push(...s.enum.map(String))
    if (typeof s.const === 'string') found.push(s.const)
    for (const key of ['anyOf', 'oneOf', 'allOf']) if (Array.isArray(s[key])) (s[key] as unknown[]).forEach(walk)
    if (typeof s.$ref === 'string') {
      const name = s.$ref.split('/').pop() ?? ''
      walk(doc.components?.schemas?.[name])
    }
  }
  walk(format.schema)
  return found.includes('xlsx')
}
