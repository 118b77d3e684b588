/**
 * The committee's figures as shown: which figures there are, how each is read (a rate in basis
 * points, a duration in seconds, an amount in fen, a count), and their text. A 'suppressed' figure
 * is never shown as 0 and a null one (nothing to measure) is '—'.
 */
import { formatBps, formatFen } from '@/i18n/format'
import type { FigureValue, Figures, Level } from './types'

export type Kind = 'percent' | 'duration' | 'yuan' | 'count'

export type Metric =
  | 'households'
  | 'collection_rate_bps'
  | 'ratings'
  | 'satisfaction_rate_bps'
  | 'first_response_median_seconds'
  | 'first_response_p90_seconds'
  | 'resolution_median_seconds'
  | 'resolution_p90_seconds'
  | 'first_response_within_target_bps'
  | 'resolution_within_target_bps'
  | 'complaints'
  | 'petitions'
  | 'petition_rate_bps'
  | 'fees_billed_fen'
  | 'fees_collected_fen'
  | 'budget_total_execution_bps'
  | 'surplus_fen'
  | 'fund_pledged_fen'
  | 'fund_received_fen'
  | 'fund_granted_fen'

/** Every scalar figure, in the order the API's SCALAR_FIGURES lists them. */
export const METRICS: readonly Metric[] = [
  'households',
  'collection_rate_bps',
  'ratings',
  'satisfaction_rate_bps',
  'first_response_median_seconds',
  'first_response_p90_seconds',
  'resolution_median_seconds',
  'resolution_p90_seconds',
  'first_response_within_target_bps',
  'resolution_within_target_bps',
  'complaints',
  'petitions',
  'petition_rate_bps',
  'fees_billed_fen',
  'fees_collected_fen',
  'budget_total_execution_bps',
  'surplus_fen',
  'fund_pledged_fen',
  'fund_received_fen',
  'fund_granted_fen',
]

/** The figures the dashboard's table shows, in its column order. */
export const TABLE_METRICS: readonly Metric[] = [
  'households',
  'collection_rate_bps',
  'satisfaction_rate_bps',
  'ratings',
  'first_response_median_seconds',
  'first_response_p90_seconds',
  'resolution_median_seconds',
  'resolution_p90_seconds',
  'first_response_within_target_bps',
  'resolution_within_target_bps',
  'petition_rate_bps',
  'petitions',
  'budget_total_execution_bps',
  'surplus_fen',
  'fund_pledged_fen',
  'fund_received_fen',
  'fund_granted_fen',
]

/** As the API's LOWER_IS_BETTER. */
export const LOWER_IS_BETTER: ReadonlySet<string> = new Set([
  'first_response_median_seconds',
  'first_response_p90_seconds',
  'resolution_median_seconds',
  'resolution_p90_seconds',
  'complaints',
  'petitions',
  'petition_rate_bps',
])

export function kindOf(metric: string): Kind {
  if (metric.endsWith('_bps')) return 'percent'
  if (metric.endsWith('_seconds')) return 'duration'
  if (metric.endsWith('_fen')) return 'yuan'
  return 'count'
}

export function isMetric(value: unknown): value is Metric {
  return typeof value === 'string' && (METRICS as readonly string[]).includes(value)
}

export function isSuppressed(value: unknown): value is 'suppressed' {
  return value === 'suppressed'
}

export const figureOf = (figures: Figures, metric: Metric): FigureValue => figures[metric]

export interface DurationText {
  hours: (h: number, m: string) => string
  minutes: (m: number, s: string) => string
}

export function formatDuration(seconds: number, text: DurationText): string {
  const sign = seconds < 0 ? '-' : ''
  const abs = Math.abs(seconds)
  const hours = Math.floor(abs / 3600)
  const minutes = Math.floor((abs % 3600) / 60)
  const rest = abs % 60
  return sign + (hours ? text.hours(hours, String(minutes).padStart(2, '0')) : text.minutes(minutes, String(rest).padStart(2, '0')))
}

/** A shown number of a kind (never 'suppressed' or null: the caller shows those). */
export function formatNumber(value: number, kind: Kind, text: DurationText): string {
  if (!Number.isSafeInteger(value)) return '?'
  switch (kind) {
    case 'percent':
      return formatBps(value)
    case 'duration':
      return formatDuration(value, text)
    case 'yuan':
      return formatFen(value)
    default:
      return value.toLocaleString('en-US')
  }
}

/** A difference with its sign: +1.25%, -¥3.00, +2m05s. */
export function formatDifference(value: number, kind: Kind, text: DurationText): string {
  const shown = formatNumber(value, kind, text)
  return value > 0 ? `+${shown}` : shown
}

/** The value a chart plots: percent, hours, yuan or a count; null when it cannot be plotted. */
export function plotted(value: FigureValue | undefined, kind: Kind): number | null {
  if (typeof value !== 'number') return null
  switch (kind) {
    case 'percent':
      return value / 100
    case 'duration':
      return Math.round((value / 3600) * 100) / 100
    case 'yuan':
      return value / 100
    default:
      return value
  }
}

/** Months from `first` to `last` (YYYY-MM), at most 120. */
export function monthsBetween(first: string, last: string): string[] {
  const out: string[] = []
  let [y, m] = first.split('-').map(Number) as [number, number]
  while (out.length < 120) {
    const period = `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}`
    out.push(period)
    if (period >= last) break
    if (m === 12) {
      y += 1
      m = 1
    } else m += 1
  }
  return out
}

/** The month before `today`'s month in Asia/Shanghai (the last one whose figures are complete). */
export function previousMonth(today: Date = new Date()): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit' })
    .formatToParts(today)
  const y = Number(parts.find((p) => p.type === 'year')?.value)
  const m = Number(parts.find((p) => p.type === 'month')?.value)
  return m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, '0')}`
}

/** The month `count` months before `period`. */
export function monthsBefore(period: string, count: number): string {
  const [y, m] = period.split('-').map(Number) as [number, number]
  const index = y * 12 + (m - 1) - count
  return `${String(Math.floor(index / 12)).padStart(4, '0')}-${String((index % 12) + 1).padStart(2, '0')}`
}

/** The label of an area: an estate's name and code, an area's code. */
export function areaLabel(row: { code: string; name: string | null }): string {
  return row.name ? `${row.name} (${row.code})` : row.code
}

/** The areas a filter can narrow to: districts, sub-districts and communities of the rows. */
export function areasOf(rows: readonly { level: Level; code: string }[]): { level: Level; code: string }[] {
  const seen = new Set<string>()
  const out: { level: Level; code: string }[] = []
  for (const level of ['district', 'sub_district', 'community'] as const) {
    for (const row of rows) {
      if (row.level === level && !seen.has(row.code)) {
        seen.add(row.code)
        out.push({ level, code: row.code })
      }
    }
  }
  return out
}
