/**
 * Formatting of money, dates and months for the pages.
 *
 * Money is integer fen (1 CNY = 100 fen), as the APIs give it, and is formatted with integer
 * arithmetic only: ¥1,234.56 in every language (the estates' residents read yuan as ¥).
 * Instants (timestamps) are shown in the estates' time zone, Asia/Shanghai; calendar dates and
 * months (a bill's day, a statement's month) are shown as they are, with no time-zone shift.
 */
export const TIME_ZONE = 'Asia/Shanghai'

export type Locale = 'zh-CN' | 'en'

/** ¥1,234.56 from 123456 fen; -¥12.30 from -1230. Throws on anything but a safe integer. */
export function formatFen(fen: number): string {
  if (!Number.isSafeInteger(fen)) throw new RangeError(`not an amount in fen: ${fen}`)
  const sign = fen < 0 ? '-' : ''
  const abs = Math.abs(fen)
  const yuan = Math.floor(abs / 100)
  const cents = abs % 100
  const grouped = String(yuan).replace(/\B(?=(\d{3})+(?!\d))/g, ',')
  return `${sign}¥${grouped}.${String(cents).padStart(2, '0')}`
}

/** A share in basis points as a percentage with two decimals: 9850 → 98.50%. */
export function formatBps(bps: number): string {
  if (!Number.isSafeInteger(bps)) throw new RangeError(`not basis points: ${bps}`)
  const sign = bps < 0 ? '-' : ''
  const abs = Math.abs(bps)
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}%`
}

/** Fen as yuan for a chart axis (display only; never computed with). */
export function fenToYuanNumber(fen: number): number {
  return fen / 100
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/
const PERIOD = /^(\d{4})-(0[1-9]|1[0-2])$/

/** A calendar date (YYYY-MM-DD): 2026年11月1日 / 1 Nov 2026. */
export function formatDate(isoDate: string, locale: Locale): string {
  const match = DATE.exec(isoDate)
  if (!match) return isoDate
  const [, y, m, d] = match
  const day = new Date(Date.UTC(Number(y), Number(m) - 1, Number(d)))
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeZone: 'UTC' }).format(day)
}

/** An instant (ISO 8601 with offset) in Asia/Shanghai: 2026/11/30 13:35 / 30 Nov 2026, 13:35. */
export function formatDateTime(isoInstant: string, locale: Locale): string {
  const instant = new Date(isoInstant)
  if (Number.isNaN(instant.getTime())) return isoInstant
  return new Intl.DateTimeFormat(locale, {
    dateStyle: 'medium',
    timeStyle: 'short',
    hourCycle: 'h23',
    timeZone: TIME_ZONE,
  }).format(instant)
}

export function isPeriod(value: string): boolean {
  return PERIOD.test(value)
}

/** A month (YYYY-MM): 2026年11月 / November 2026. */
export function formatPeriod(period: string, locale: Locale): string {
  const match = PERIOD.exec(period)
  if (!match) return period
  const month = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, 1))
  return new Intl.DateTimeFormat(locale, { year: 'numeric', month: 'long', timeZone: 'UTC' }).format(month)
}

/** The month it is now in Asia/Shanghai, YYYY-MM. */
export function currentPeriod(now: Date = new Date()): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    year: 'numeric',
    month: '2-digit',
    timeZone: TIME_ZONE,
  }).formatToParts(now)
  const year = parts.find((p) => p.type === 'year')?.value
  const month = parts.find((p) => p.type === 'month')?.value
  return `${year}-${month}`
}

/** The month `delta` months from `period`: shiftPeriod('2026-01', -1) = '2025-12'. */
export function shiftPeriod(period: string, delta: number): string {
  const match = PERIOD.exec(period)
  if (!match) throw new RangeError(`not a month: ${period}`)
  const index = Number(match[1]) * 12 + Number(match[2]) - 1 + delta
  const year = Math.floor(index / 12)
  const month = (index % 12) + 1
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}`
}

export function periodYear(period: string): number {
  return Number(period.slice(0, 4))
}

/** A floor area in hundredths of a m² as m² with two decimals: 9050 → 90.50. */
export function formatArea(centiSqm: number): string {
  if (!Number.isSafeInteger(centiSqm) || centiSqm < 0) throw new RangeError(`not an area: ${centiSqm}`)
  return `${Math.floor(centiSqm / 100)}.${String(centiSqm % 100).padStart(2, '0')}`
}

/** A decimal string without its trailing zeros: '35.0000' → '35', '0.3500' → '0.35'. */
export function formatDecimal(decimal: string): string {
  return /^-?\d+\.\d+$/.test(decimal) ? decimal.replace(/\.?0+$/, '') : decimal
}
