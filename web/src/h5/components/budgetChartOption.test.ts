import { describe, expect, it } from 'vitest'
import { statement } from '@/test/fixtures'
import { SERIES_COLOURS, budgetChartHeight, budgetChartOption } from './budgetChartOption'

describe('the budget chart', () => {
  const option = budgetChartOption(statement.budget.lines, { adopted: '预算', booked: '已入账' })

  it('has a row per budget line, first line on top', () => {
    expect(option.yAxis).toMatchObject({ type: 'category', inverse: true, data: ['保洁', '绿化'] })
  })

  it('sets the adopted amount beside what is booked this year, in yuan', () => {
    expect(option.series).toEqual([
      expect.objectContaining({ name: '预算', type: 'bar', data: [240000, 120000], color: SERIES_COLOURS.adopted }),
      expect.objectContaining({ name: '已入账', type: 'bar', data: [200000, 90000], color: SERIES_COLOURS.booked }),
    ])
  })

  it('grows with the number of lines', () => {
    expect(budgetChartHeight(0)).toBe(120)
    expect(budgetChartHeight(10)).toBeGreaterThan(budgetChartHeight(2))
  })
})
