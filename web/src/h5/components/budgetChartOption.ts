/**
 * The ECharts option of the budget-vs-actual chart: one row per budget line, the adopted amount
 * beside what is booked so far this year. Pure (no ECharts import at run time), so it is tested
 * without a canvas.
 *
 * No ECharts legend or tooltip: the legend is HTML beside the chart and every figure is listed
 * under it (readable on a phone and by a screen reader), which keeps ECharts' share of the resident
 * bundle to the bar chart, the grid and the canvas renderer.
 */
import type { ComposeOption } from 'echarts/core'
import type { BarSeriesOption } from 'echarts/charts'
import type { GridComponentOption } from 'echarts/components'
import type { LineExecution } from '@/api/types'
import { fenToYuanNumber } from '@/i18n/format'

export type BudgetChartOption = ComposeOption<BarSeriesOption | GridComponentOption>

export interface BudgetChartLabels {
  adopted: string
  booked: string
}

/** Blue and dark orange: apart for colour-blind readers, each above 3:1 against white. */
export const SERIES_COLOURS = { adopted: '#1989fa', booked: '#c2410c' } as const

/** Rows as tall as a finger: the chart's height for `lines` rows. */
export function budgetChartHeight(lines: number): number {
  return Math.max(120, 40 + lines * 56)
}

export function budgetChartOption(lines: readonly LineExecution[], labels: BudgetChartLabels): BudgetChartOption {
  return {
    animation: false,
    grid: { left: 8, right: 16, top: 8, bottom: 8 },
    xAxis: {
      type: 'value',
      axisLabel: { hideOverlap: true, formatter: '¥{value}' },
    },
    yAxis: {
      type: 'category',
      inverse: true,
      data: lines.map((line) => line.name),
      axisLabel: { width: 96, overflow: 'truncate' },
    },
    series: [
      {
        name: labels.adopted,
        type: 'bar',
        color: SERIES_COLOURS.adopted,
        data: lines.map((line) => fenToYuanNumber(line.adopted_fen)),
        barMaxWidth: 16,
      },
      {
        name: labels.booked,
        type: 'bar',
        color: SERIES_COLOURS.booked,
        data: lines.map((line) => fenToYuanNumber(line.booked_year_to_date_fen)),
        barMaxWidth: 16,
      },
    ],
  }
}
