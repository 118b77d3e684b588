/**
 * The ECharts options of the dashboard's charts, pure (ECharts' types only), so they are tested
 * without a canvas. Values are plotted as percent, hours, yuan or counts (figures.ts `plotted`);
 * a suppressed or null figure is a gap in a line and no bar — never a 0.
 */
import type { ComposeOption } from 'echarts/core'
import type { BarSeriesOption, LineSeriesOption } from 'echarts/charts'
import type {
  GridComponentOption,
  LegendComponentOption,
  MarkLineComponentOption,
  TooltipComponentOption,
} from 'echarts/components'
import { areaLabel, kindOf, monthsBetween, plotted, type Metric } from './figures'
import type { AreaRow, Comparison, Ranking } from './types'

export type ChartOption = ComposeOption<
  | LineSeriesOption
  | BarSeriesOption
  | GridComponentOption
  | LegendComponentOption
  | TooltipComponentOption
  | MarkLineComponentOption
>

/** At most this many lines in a trend chart (the first areas in the table's order). */
export const MAX_TREND_SERIES = 12

export function trendOption(rows: readonly AreaRow[], metric: Metric, first: string, last: string): ChartOption {
  const months = monthsBetween(first, last)
  const kind = kindOf(metric)
  const byArea = new Map<string, { label: string; values: Map<string, number | null> }>()
  for (const row of rows) {
    let area = byArea.get(row.code)
    if (!area) {
      if (byArea.size >= MAX_TREND_SERIES) continue
      area = { label: areaLabel(row), values: new Map() }
      byArea.set(row.code, area)
    }
    area.values.set(row.figures.period, plotted(row.figures[metric], kind))
  }
  return {
    animation: false,
    tooltip: { trigger: 'axis' },
    legend: { type: 'scroll', top: 0 },
    grid: { left: 56, right: 24, top: 40, bottom: 32 },
    xAxis: { type: 'category', data: months },
    yAxis: { type: 'value', scale: kind !== 'percent' },
    series: [...byArea.values()].map((area) => ({
      type: 'line' as const,
      name: area.label,
      connectNulls: false,
      data: months.map((month) => area.values.get(month) ?? null),
    })),
  }
}

/** The ranking's shown rows, best first, as horizontal bars beside the district's median. */
export function rankingOption(ranking: Ranking, labels: { median: string }): ChartOption {
  const kind = kindOf(ranking.metric)
  const shown = ranking.rows.filter((row) => typeof row.value === 'number')
  const medians = [...new Set(shown.map((row) => row.district_median).filter((m): m is number => m !== null))]
  return {
    animation: false,
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    grid: { left: 8, right: 32, top: 16, bottom: 24, containLabel: true },
    xAxis: { type: 'value' },
    yAxis: { type: 'category', inverse: true, data: shown.map((row) => areaLabel(row)) },
    series: [
      {
        type: 'bar',
        name: ranking.metric,
        data: shown.map((row) => plotted(row.value, kind)),
        markLine:
          medians.length === 1
            ? { symbol: 'none', label: { formatter: labels.median }, data: [{ xAxis: plotted(medians[0]!, kind) ?? 0 }] }
            : undefined,
      },
    ],
  }
}

/** One estate beside its district's median, for figures of one kind (rates, say). */
export function comparisonOption(
  comparison: Comparison,
  metrics: readonly string[],
  names: (metric: string) => string,
  labels: { estate: string; median: string },
): ChartOption {
  const rows = comparison.metrics.filter((m) => metrics.includes(m.metric))
  return {
    animation: false,
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    legend: { top: 0 },
    grid: { left: 8, right: 24, top: 32, bottom: 24, containLabel: true },
    xAxis: { type: 'value' },
    yAxis: { type: 'category', inverse: true, data: rows.map((m) => names(m.metric)) },
    series: [
      { type: 'bar', name: labels.estate, data: rows.map((m) => plotted(m.value, kindOf(m.metric))) },
      { type: 'bar', name: labels.median, data: rows.map((m) => plotted(m.district_median, kindOf(m.metric))) },
    ],
  }
}
