import { describe, expect, it } from 'vitest'
import {
  currentPeriod,
  formatArea,
  formatBps,
  formatDate,
  formatDateTime,
  formatDecimal,
  formatFen,
  formatPeriod,
  isPeriod,
  shiftPeriod,
} from './format'

describe('formatFen', () => {
  it.each([
    [0, '¥0.00'],
    [5, '¥0.05'],
    [99, '¥0.99'],
    [100, '¥1.00'],
    [3150, '¥31.50'],
    [123456, '¥1,234.56'],
    [100000000, '¥1,000,000.00'],
    [-1230, '-¥12.30'],
    [-5, '-¥0.05'],
    [Number.MAX_SAFE_INTEGER, '¥90,071,992,547,409.91'],
  ])('%i fen is %s', (fen, text) => {
    expect(formatFen(fen)).toBe(text)
  })

  it('refuses what is not integer fen', () => {
    expect(() => formatFen(1.5)).toThrow(RangeError)
    expect(() => formatFen(Number.NaN)).toThrow(RangeError)
    expect(() => formatFen(2 ** 60)).toThrow(RangeError)
  })

  it('is the same in every language (no Intl currency: CN¥ in English)', () => {
    expect(formatFen(123456)).not.toContain('CN')
  })
})

describe('formatBps and formatArea', () => {
  it('shows basis points as a percentage with two decimals', () => {
    expect(formatBps(9850)).toBe('98.50%')
    expect(formatBps(10000)).toBe('100.00%')
    expect(formatBps(5)).toBe('0.05%')
    expect(formatBps(-150)).toBe('-1.50%')
  })

  it('drops the trailing zeros of a decimal rate', () => {
    expect(formatDecimal('35.0000')).toBe('35')
    expect(formatDecimal('0.3500')).toBe('0.35')
    expect(formatDecimal('35')).toBe('35')
    expect(formatDecimal('100.50')).toBe('100.5')
  })

  it('shows hundredths of a m² as m²', () => {
    expect(formatArea(9000)).toBe('90.00')
    expect(formatArea(9005)).toBe('90.05')
    expect(() => formatArea(-1)).toThrow(RangeError)
  })
})

describe('dates and months', () => {
  it('shows a calendar date as it is, whatever the time zone', () => {
    expect(formatDate('2026-11-01', 'zh-CN')).toBe('2026年11月1日')
    expect(formatDate('2026-11-01', 'en')).toBe('Nov 1, 2026')
    expect(formatDate('not a date', 'en')).toBe('not a date')
  })

  it('shows an instant in Asia/Shanghai', () => {
    // 20:30 UTC on 30 November is 04:30 on 1 December in Shanghai.
    expect(formatDateTime('2026-11-30T20:30:00+00:00', 'zh-CN')).toBe('2026年12月1日 04:30')
    expect(formatDateTime('2026-11-30T20:30:00Z', 'en')).toBe('Dec 1, 2026, 04:30')
  })

  it('shows a month', () => {
    expect(formatPeriod('2026-11', 'zh-CN')).toBe('2026年11月')
    expect(formatPeriod('2026-11', 'en')).toBe('November 2026')
    expect(isPeriod('2026-13')).toBe(false)
    expect(isPeriod('2026-01')).toBe(true)
  })

  it('takes the current month in Asia/Shanghai', () => {
    expect(currentPeriod(new Date('2026-11-30T15:59:59Z'))).toBe('2026-11')
    expect(currentPeriod(new Date('2026-11-30T16:00:00Z'))).toBe('2026-12')
    expect(currentPeriod(new Date('2026-12-31T16:00:00Z'))).toBe('2027-01')
  })

  it('moves between months across years', () => {
    expect(shiftPeriod('2026-01', -1)).toBe('2025-12')
    expect(shiftPeriod('2026-12', 1)).toBe('2027-01')
    expect(shiftPeriod('2026-05', -17)).toBe('2024-12')
    expect(() => shiftPeriod('2026-1', 1)).toThrow(RangeError)
  })
})
