/**
 * The committee's calls: the tenant service's governance API only (aggregates; no person, household
 * or unit is in any answer), and the service's own OpenAPI document to learn whether it offers XLSX.
 */
import { path, type ApiClient } from '@/api/client'
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

export function committeeApi(api: ApiClient) {
  return {
    figures: (q: FiguresQuery, signal?: AbortSignal) =>
      api.get<FiguresPage>('tenant', '/v1/governance/figures', { query: query({ ...q }), signal }),
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
