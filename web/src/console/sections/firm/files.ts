/**
 * What the firm's pages compute in the browser: yuan typed → integer fen (no floating point), the
 * household file's template, spreadsheet-safe CSV (the server's rule, xinyi_shared/spreadsheet.py:
 * a text cell starting with = + - @ tab or CR gets a leading ', every text field quoted; numbers
 * stay bare numbers) with a UTF-8 BOM so Excel and WPS read the Chinese, and saving a Blob as a file.
 */
import { safeCell } from '@/console/spreadsheet'

/** Yuan as typed ("1,280.5", "¥ 90", "3.05") → fen; null when it is not an amount of at most 2 decimals. */
export function yuanToFen(typed: string): number | null {
  const text = typed.normalize('NFKC').replace(/[\s,¥]/g, '')
  const match = /^(\d{1,12})(?:\.(\d{1,2}))?$/.exec(text)
  if (!match) return null
  const fen = Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0'))
  return Number.isSafeInteger(fen) ? fen : null
}

/** Fen as plain yuan for a spreadsheet cell: 123456 → "1234.56", -5 → "-0.05". */
export function fenToYuanText(fen: number): string {
  const sign = fen < 0 ? '-' : ''
  const abs = Math.abs(fen)
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`
}

/** The household file's columns, as the import reads them (tenant_service/domain/household_import.py). */
export const HOUSEHOLD_TEMPLATE_HEADER = ['楼栋', '单元', '楼层', '房号', '面积', '业主姓名', '电话', '网格', '入住日期'] as const

export type Cell = string | number | null | undefined

// The console's one spreadsheet-safe rule and download helper (@/console/spreadsheet).
export { safeCell, saveBlob } from '@/console/spreadsheet'

function csvField(value: Cell): string {
  if (value === null || value === undefined) return ''
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : ''
  return `"${String(safeCell(value)).replace(/"/g, '""')}"`
}

/** CSV text of rows (CRLF line ends, every text field quoted and made safe), with a UTF-8 BOM. */
export function csvText(rows: readonly (readonly Cell[])[]): string {
  return '\ufeff' + rows.map((row) => row.map(csvField).join(',')).join('\r\n') + '\r\n'
}

export function csvBlob(rows: readonly (readonly Cell[])[]): Blob {
  return new Blob([csvText(rows)], { type: 'text/csv;charset=utf-8' })
}

/** Today in Asia/Shanghai, YYYY-MM-DD (the estates' calendar). */
export function todayInShanghai(now: Date = new Date()): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' }).format(now)
}

