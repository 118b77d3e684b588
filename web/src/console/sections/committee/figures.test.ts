import { describe, expect, it } from 'vitest'
import { openApiOffersXlsx } from './api'
import { comparisonOption, rankingOption, trendOption } from './charts'
import { formatDifference, formatDuration, formatNumber, kindOf, monthsBefore, monthsBetween, plotted, previousMonth } from './figures'
import { comparison, estateRow, figuresOf, ranking, smallEstateRow } from './testdata'

const text = { hours: (h: number, m: string) => `${h}h${m}m`, minutes: (m: number, s: string) => `${m}m${s}s` }

describe('figures as shown', () => {
  it('reads each figure by its unit', () => {
    expect(kindOf('collection_rate_bps')).toBe('percent')
    expect(kindOf('resolution_p90_seconds')).toBe('duration')
    expect(kindOf('surplus_fen')).toBe('yuan')
    expect(kindOf('petitions')).toBe('count')
    expect(formatNumber(9250, 'percent', text)).toBe('92.50%')
    expect(formatNumber(-257690, 'yuan', text)).toBe('-¥2,576.90')
    expect(formatNumber(12000, 'count', text)).toBe('12,000')
    expect(formatNumber(7260, 'duration', text)).toBe('2h01m')
    expect(formatDuration(65, text)).toBe('1m05s')
    expect(formatDifference(250, 'percent', text)).toBe('+2.50%')
    expect(formatDifference(-3600, 'duration', text)).toBe('-1h00m')
    expect(formatDifference(0, 'count', text)).toBe('0')
  })

  it('never plots a suppressed or missing figure as 0', () => {
    expect(plotted('suppressed', 'percent')).toBeNull()
    expect(plotted(null, 'yuan')).toBeNull()
    expect(plotted(0, 'count')).toBe(0)
    expect(plotted(9250, 'percent')).toBe(92.5)
    expect(plotted(5400, 'duration')).toBe(1.5)
  })

  it('walks months', () => {
    expect(monthsBetween('2025-11', '2026-02')).toEqual(['2025-11', '2025-12', '2026-01', '2026-02'])
    expect(monthsBefore('2026-01', 1)).toBe('2025-12')
    expect(monthsBefore('2026-01', -1)).toBe('2026-02')
    expect(previousMonth(new Date('2026-01-15T00:00:00Z'))).toBe('2025-12')
    // 2026-02-28 20:00 UTC is already 1 March in Shanghai.
    expect(previousMonth(new Date('2026-02-28T20:00:00Z'))).toBe('2026-02')
  })
})

describe('charts', () => {
  it('a trend has a gap where a month is suppressed', () => {
    const rows = [
      { ...estateRow, figures: figuresOf({}, '2026-09') },
      { ...estateRow, figures: figuresOf({ collection_rate_bps: 'suppressed' }, '2026-10') },
    ]
    const option = trendOption(rows, 'collection_rate_bps', '2026-08', '2026-10')
    expect(option.xAxis).toMatchObject({ data: ['2026-08', '2026-09', '2026-10'] })
    expect(option.series).toEqual([expect.objectContaining({ name: '金河绿洲 (jinhe-lvzhou)', data: [null, 92.5, null] })])
  })

  it('a ranking draws only the shown figures, beside the median', () => {
    const option = rankingOption(ranking, { median: 'median' })
    expect(option.yAxis).toMatchObject({ data: ['金河绿洲 (jinhe-lvzhou)'] })
    const [series] = option.series as { data: unknown[]; markLine?: { data: unknown[] } }[]
    expect(series!.data).toEqual([92.5])
    expect(series!.markLine?.data).toEqual([{ xAxis: 92.5 }])
  })

  it('a comparison puts the estate beside the median', () => {
    const option = comparisonOption(comparison, ['collection_rate_bps'], (m) => m, { estate: 'E', median: 'M' })
    expect(option.series).toEqual([
      expect.objectContaining({ name: 'E', data: [92.5] }),
      expect.objectContaining({ name: 'M', data: [90] }),
    ])
    expect(smallEstateRow.figures.households).toBe('suppressed')
  })
})

describe('XLSX is offered only when the OpenAPI lists it', () => {
  const doc = (schema: unknown) => ({
    paths: { '/v1/governance/figures': { get: { parameters: [{ name: 'period' }, { name: 'format', schema }] } } },
    components: { schemas: { Fmt: { enum: ['json', 'csv', 'xlsx'] } } },
  })
  it('reads enums, anyOf and $refs', () => {
    expect(openApiOffersXlsx(doc({ enum: ['json', 'csv'], default: 'json' }))).toBe(false)
    expect(openApiOffersXlsx(doc({ enum: ['json', 'csv', 'xlsx'] }))).toBe(true)
    expect(openApiOffersXlsx(doc({ anyOf: [{ $ref: '#/components/schemas/Fmt' }, { type: 'null' }] }))).toBe(true)
    expect(openApiOffersXlsx({})).toBe(false)
    expect(openApiOffersXlsx(null)).toBe(false)
  })
})
