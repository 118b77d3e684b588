import { unzipSync, strFromU8 } from 'fflate'
import { describe, expect, it } from 'vitest'
import { csvBlob, safeCell, toCsv, xlsxBlob } from './spreadsheet'

describe('spreadsheet-safe exports', () => {
  it('escape text that a spreadsheet would run as a formula, and leave numbers alone', () => {
    expect(safeCell('=HYPERLINK("http://x")')).toBe(`'=HYPERLINK("http://x")`)
    expect(safeCell('@SUM(A1)')).toBe(`'@SUM(A1)`)
    expect(safeCell('+cmd|x')).toBe(`'+cmd|x`)
    expect(safeCell('-1')).toBe(`'-1`)
    expect(safeCell('\tx')).toBe(`'\tx`)
    expect(safeCell('3栋1单元101')).toBe('3栋1单元101')
    expect(safeCell(-250)).toBe(-250)
  })

  it('write CSV with every text quoted, quotes doubled, numbers bare, and a BOM for Excel', async () => {
    const text = toCsv(['户', '欠费（元）'], [['=1+1', -12.5], ['a "b", c', null]])
    expect(text).toBe(`"户","欠费（元）"\r\n"'=1+1",-12.5\r\n"a ""b"", c",\r\n`)
    const bytes = new Uint8Array(await csvBlob(['a'], [['b']]).arrayBuffer())
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf])
  })

  it('write an XLSX workbook whose cells hold no formula', async () => {
    const blob = await xlsxBlob(['户', '欠费'], [['=HYPERLINK("http://evil")', 120.5], ['3栋101', 0]], '欠费')
    const files = unzipSync(new Uint8Array(await blob.arrayBuffer()))
    const sheet = strFromU8(files['xl/worksheets/sheet1.xml']!)
    const strings = files['xl/sharedStrings.xml'] ? strFromU8(files['xl/sharedStrings.xml']) : sheet
    expect(sheet).not.toContain('<f>')
    expect(strings).toContain(`'=HYPERLINK(`)
    expect(strings).toContain('3栋101')
    expect(sheet).toContain('120.5')
  })
})
