/**
 * Exports the console offers as files: CSV (UTF-8 with a BOM, so Excel and WPS read Chinese) and
 * XLSX (write-excel-file), both spreadsheet-safe like the server's (xinyi_shared/spreadsheet.py):
 * a text cell starting with = + - @ tab or CR gets a leading single quote, so no spreadsheet runs it
 * as a formula (CSV injection); numbers stay numbers.
 */
export type SheetValue = string | number | boolean | null | undefined

const FORMULA_TRIGGERS = ['=', '+', '-', '@', '\t', '\r']

export function safeCell(value: SheetValue): SheetValue {
  return typeof value === 'string' && FORMULA_TRIGGERS.some((t) => value.startsWith(t)) ? `'${value}` : value
}

function csvField(value: SheetValue): string {
  const safe = safeCell(value)
  if (safe === null || safe === undefined) return ''
  if (typeof safe === 'number') return String(safe)
  if (typeof safe === 'boolean') return safe ? 'TRUE' : 'FALSE'
  return `"${safe.replace(/"/g, '""')}"`
}

/** The CSV text of a header and rows (every text field quoted, CRLF line ends as RFC 4180). */
export function toCsv(header: readonly string[], rows: readonly (readonly SheetValue[])[]): string {
  return [header, ...rows].map((row) => row.map(csvField).join(',')).join('\r\n') + '\r\n'
}

export function csvBlob(header: readonly string[], rows: readonly (readonly SheetValue[])[]): Blob {
  return new Blob(['\ufeff', toCsv(header, rows)], { type: 'text/csv;charset=utf-8' })
}

/** An XLSX workbook of one sheet: the header in bold, then the rows, every cell escaped. */
export async function xlsxBlob(
  header: readonly string[],
  rows: readonly (readonly SheetValue[])[],
  sheet = 'Sheet1',
): Promise<Blob> {
  const { default: writeExcelFile } = await import('write-excel-file/browser')
  const cell = (value: SheetValue) => {
    const safe = safeCell(value)
    if (safe === null || safe === undefined || safe === '') return null
    if (typeof safe === 'number') return { value: safe, type: Number }
    if (typeof safe === 'boolean') return { value: safe, type: Boolean }
    return { value: safe, type: String }
  }
  const data = [
    header.map((title) => ({ value: String(safeCell(title) ?? ''), type: String, fontWeight: 'bold' as const })),
    ...rows.map((row) => row.map(cell)),
  ]
  return writeExcelFile(data, { sheet }).toBlob()
}

/** Hands a Blob to the browser as a download named `fileName`. */
export function saveBlob(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob)
  const link = document.createElement('a')
  link.href = url
  link.download = fileName
  link.rel = 'noopener'
  document.body.append(link)
  link.click()
  link.remove()
  setTimeout(() => URL.revokeObjectURL(url), 60_000)
}
