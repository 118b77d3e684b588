import { describe, expect, it } from 'vitest'
import { ApiError } from '@/api/errors'
import { catalogueKeys } from '@/i18n'
import { newIdempotencyKey, rowErrorsOf } from './api'
import { csvText, fenToYuanText, HOUSEHOLD_TEMPLATE_HEADER, safeCell, yuanToFen } from './files'
import en from './locales/en'
import zhCN from './locales/zh-CN'
import { section } from './index'

describe('yuan typed → fen', () => {
  it.each([
    ['1280.5', 128050],
    ['1,280.50', 128050],
    ['¥ 90', 9000],
    ['０.０５', 5],
    ['3.05', 305],
    ['0.1', 10],
  ])('%s is %i fen', (typed, fen) => {
    expect(yuanToFen(typed)).toBe(fen)
  })

  it.each(['', 'abc', '1.234', '-5', '1e3', '1.2.3'])('refuses %j', (typed) => {
    expect(yuanToFen(typed)).toBeNull()
  })

  it('writes fen as plain yuan', () => {
    expect(fenToYuanText(123456)).toBe('1234.56')
    expect(fenToYuanText(-5)).toBe('-0.05')
    expect(fenToYuanText(0)).toBe('0.00')
  })
})

describe('spreadsheet-safe CSV', () => {
  it('prefixes formula triggers as the server does', () => {
    for (const trigger of ['=', '+', '-', '@', '\t', '\r']) expect(safeCell(`${trigger}SUM(A1)`)).toBe(`'${trigger}SUM(A1)`)
    expect(safeCell('3栋')).toBe('3栋')
  })

  it('has a BOM, quotes text, leaves numbers bare', () => {
    const text = csvText([
      ['楼栋', 'say "hi"', '=HYPERLINK("x")'],
      ['1', -12.5, null],
    ])
    expect(text.startsWith('\ufeff')).toBe(true)
    expect(text).toBe('\ufeff"楼栋","say ""hi""","\'=HYPERLINK(""x"")"\r\n"1",-12.5,\r\n')
  })

  it('the template names the columns the import reads', () => {
    expect(HOUSEHOLD_TEMPLATE_HEADER).toEqual(expect.arrayContaining(['楼栋', '房号', '面积', '业主姓名']))
  })
})

describe('the API helpers', () => {
  it('idempotency keys fit the ledger pattern and differ', () => {
    const a = newIdempotencyKey()
    expect(a).toMatch(/^[A-Za-z0-9][A-Za-z0-9_.:-]{7,127}$/)
    expect(newIdempotencyKey()).not.toBe(a)
  })

  it('reads the refused rows of a household import', () => {
    const error = Object.assign(new ApiError(422, 'invalid_input', '2 problem(s) in the file; nothing was imported'), {
      details: { row_errors: [{ line: 3, column: '面积', reason: 'area must be a positive number' }, { line: 4, column: '', reason: 'duplicate of line 2' }] },
    })
    expect(rowErrorsOf(error)).toEqual([
      { line: 3, column: '面积', reason: 'area must be a positive number' },
      { line: 4, column: '', reason: 'duplicate of line 2' },
    ])
    expect(rowErrorsOf(new ApiError(422, 'invalid_input', 'the file is empty'))).toBeNull()
    expect(rowErrorsOf(new Error('x'))).toBeNull()
  })
})

describe('the section', () => {
  it('has the same message keys in both languages', () => {
    expect(catalogueKeys(en).sort()).toEqual(catalogueKeys(zhCN).sort())
  })

  it('keeps the period close to the firm manager', () => {
    expect(section.roles).toEqual(['firm_manager', 'firm_staff'])
    expect(section.nav.find((entry) => entry.route === 'firm-close')?.roles).toEqual(['firm_manager'])
    const names = section.routes.map((route) => route.name)
    for (const entry of section.nav) expect(names).toContain(entry.route)
  })
})
