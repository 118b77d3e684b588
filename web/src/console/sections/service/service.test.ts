/**
 * The service section's pages mounted in the console with a fake API, strict i18n in both languages
 * (a missing key or a Vue warning fails), and its small helpers.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { Locale } from '@/i18n/format'
import { ESTATE, fakeApi, mountConsole, refusal, settle, users, withTotal, type MountedConsole } from '../../test/mount'
import { countdown, parseYuan, yuanText } from './common'
import { en, zhCN } from './messages'
import type { Expense, Ticket } from './types'

// ECharts draws on a canvas, which the test DOM has not: a stand-in records what it was given.
const chart = vi.hoisted(() => ({ options: [] as unknown[] }))
vi.mock('echarts/core', async (importOriginal) => ({
  ...(await importOriginal<typeof import('echarts/core')>()),
  init: () => ({ setOption: (option: unknown) => chart.options.push(option), resize: () => undefined, dispose: () => undefined }),
}))

const base = `/v1/estates/${ESTATE}`
const YEAR = Number(new Intl.DateTimeFormat('en-CA', { year: 'numeric', timeZone: 'Asia/Shanghai' }).format(new Date()))

const expense = (over: Partial<Expense> = {}): Expense => ({
  id: '11111111-1111-1111-1111-111111111111',
  number: 7,
  status: 'approved',
  payee: '上海安达电梯维修有限公司',
  amount_fen: 123456,
  account: '5600',
  description: '电梯门机维修',
  year: YEAR,
  needs: 'none',
  ballot_subject: null,
  ballot_id: null,
  proposed_by: 'firm-manager',
  proposed_at: '2026-11-02T03:04:05Z',
  decided_at: null,
  reason: null,
  booking_transaction_id: null,
  payment_transaction_id: null,
  ticket_id: null,
  ...over,
})

const budget = {
  year: YEAR,
  draft_id: 'd1',
  ballot_id: 'b1',
  adopted_at: '2026-01-05T00:00:00Z',
  plan: {
    name: '提升方案',
    fee_income_fen: 100_000_000,
    spending_fen: 94_300_000,
    lines: [{ account: '5600', name: '维修', amount_fen: 2_000_000 }],
  },
  large_expense_threshold_fen: 5_000_000,
  large_expense_rule: 'ballot',
}

// Mounting the console the first time transforms Element Plus and the pages: slow on a busy machine.
vi.setConfig({ testTimeout: 60_000 })

let app: MountedConsole | undefined
afterEach(() => {
  expect(app?.problems ?? []).toEqual([])
  app?.wrapper.unmount()
  app = undefined
})

function byTestId(testid: string): HTMLElement | null {
  return document.querySelector(`[data-testid="${testid}"]`)
}

describe('helpers', () => {
  it('reads yuan as integer fen, with at most two decimals', () => {
    expect(parseYuan('1,234.56')).toBe(123456)
    expect(parseYuan('0.5')).toBe(50)
    expect(parseYuan('12')).toBe(1200)
    expect(parseYuan('1.234')).toBeNull()
    expect(parseYuan('-3')).toBeNull()
    expect(parseYuan('abc')).toBeNull()
    expect(yuanText(123456)).toBe('1234.56')
    expect(yuanText(5)).toBe('0.05')
  })

  it('counts down to a deadline and past it', () => {
    const now = Date.parse('2026-11-30T08:00:00Z')
    expect(countdown('2026-11-30T09:01:02Z', now)).toEqual({ overdue: false, seconds: 3662, text: '01:01:02' })
    expect(countdown('2026-12-02T08:00:01Z', now).text).toBe('2d 00:00:01')
    const late = countdown('2026-11-30T07:59:30Z', now)
    expect(late.overdue).toBe(true)
    expect(late.text).toBe('-00:00:30')
  })

  it('has the same keys in both catalogues', () => {
    const keys = (o: object, prefix = ''): string[] =>
      Object.entries(o).flatMap(([k, v]) => (typeof v === 'object' ? keys(v, `${prefix}${k}.`) : [`${prefix}${k}`]))
    expect(keys(en).sort()).toEqual(keys(zhCN).sort())
  })
})

describe.each<Locale>(['zh-CN', 'en'])('the expenses page (%s)', (locale) => {
  it('lists expenses, proposes one with an uploaded voucher, and keeps the form when the ledger refuses', async () => {
    let refuse = true
    const api = fakeApi({
      [`GET ledger ${base}/expenses`]: [expense()],
      [`GET ledger ${base}/budgets/${YEAR}`]: budget,
      [`POST ledger ${base}/vouchers`]: { sha256: 'ab'.repeat(32), size: 1200, media_type: 'application/pdf', file_name: 'invoice.pdf' },
      [`POST ledger ${base}/expenses`]: () =>
        refuse ? refusal(422, 'the voucher was uploaded by another estate') : expense({ number: 8, status: 'proposed' }),
    })
    app = await mountConsole(`/estates/${ESTATE}/service`, { api, locale, user: users.firmManager })
    expect(byTestId('service-expenses')).not.toBeNull()
    expect(byTestId('expense-status-7')?.dataset.status).toBe('approved')
    expect(byTestId('pay-7')).not.toBeNull()

    const page = app.wrapper
    await page.find('[data-testid="expense-amount"]').setValue('1,234.56')
    await page.find('[data-testid="expense-payee"]').setValue('安达电梯')
    await page.find('[data-testid="expense-description"]').setValue('门机维修')
    // The account select offers the adopted lines; set it as a choice would.
    const select = page
      .findAllComponents({ name: 'ElSelect' })
      .find((c) => (c.element as Element).closest?.('[data-testid="propose-expense"]'))
    select!.vm.$emit('update:modelValue', '5600')
    // No voucher yet: the page says what is missing and sends nothing.
    await page.find('[data-testid="propose-submit"]').trigger('submit')
    await settle()
    expect(byTestId('propose-problems')).not.toBeNull()
    expect(api.calls(`POST ledger ${base}/expenses`)).toHaveLength(0)

    const input = page.find('[data-testid="voucher-upload"] input[type=file]')
    const file = new File(['%PDF-1.4'], 'invoice.pdf', { type: 'application/pdf' })
    Object.defineProperty(input.element, 'files', { value: [file] })
    await input.trigger('change')
    await settle()
    expect(api.calls(`POST ledger ${base}/vouchers`)).toHaveLength(1)
    expect(api.calls(`POST ledger ${base}/vouchers`)[0]!.body).toBeInstanceOf(FormData)
    expect(document.querySelector(`[data-sha256="${'ab'.repeat(32)}"]`)).not.toBeNull()

    await page.find('[data-testid="propose-submit"]').trigger('submit')
    await settle()
    expect(byTestId('propose-error')?.textContent).toContain('the voucher was uploaded by another estate')
    expect((page.find('[data-testid="expense-payee"]').element as HTMLInputElement).value).toBe('安达电梯')
    expect(api.calls(`POST ledger ${base}/expenses`)[0]!.body).toEqual({
      payee: '安达电梯',
      amount_fen: 123456,
      account: '5600',
      description: '门机维修',
      vouchers: ['ab'.repeat(32)],
    })

    refuse = false
    await page.find('[data-testid="propose-submit"]').trigger('submit')
    await settle()
    expect(byTestId('propose-done')).not.toBeNull()
    expect((page.find('[data-testid="expense-payee"]').element as HTMLInputElement).value).toBe('')
  })

  it('pages with the last number as the cursor, and pays an approved expense', async () => {
    const full = Array.from({ length: 20 }, (_, i) => expense({ id: `id-${i}`, number: 40 - i, status: 'proposed' }))
    const api = fakeApi({
      [`GET ledger ${base}/expenses`]: ({ query }: { query?: Record<string, unknown> }) =>
        query?.before === 21 ? [expense({ number: 3 })] : full,
      [`GET ledger ${base}/budgets/${YEAR}`]: refusal(404, 'no budget'),
      [`POST ledger ${base}/expenses/11111111-1111-1111-1111-111111111111/payment`]: expense({ number: 3, status: 'paid' }),
    })
    app = await mountConsole(`/estates/${ESTATE}/service`, { api, locale })
    await app.wrapper.find('[data-testid="expenses-next"]').trigger('click')
    await settle()
    expect(api.calls(`GET ledger ${base}/expenses`).at(-1)!.query).toMatchObject({ before: 21, limit: 20 })
    await app.wrapper.find('[data-testid="pay-3"]').trigger('click')
    await settle()
    expect(byTestId('expense-status-3')?.dataset.status).toBe('paid')
  })
})

describe.each<Locale>(['zh-CN', 'en'])('the other service pages (%s)', (locale) => {
  it('shows the adopted budget, its execution and the drafts', async () => {
    const api = fakeApi({
      [`GET ledger ${base}/budgets/${YEAR}`]: budget,
      [`GET ledger ${base}/budgets/${YEAR}/execution`]: [
        {
          period: `${YEAR}-01`,
          year: YEAR,
          plan_name: '提升方案',
          lines: [
            { account: '5600', name: '维修', adopted_fen: 2_000_000, booked_in_period_fen: 123456, booked_year_to_date_fen: 123456, spent_fen: 0, committed_fen: 123456, remaining_fen: 1_876_544 },
          ],
          open_questions: [],
        },
      ],
      [`GET ledger ${base}/budget-drafts`]: [
        {
          id: 'd2', year: YEAR + 1, status: 'draft', ballot_subject: 'budget:d2', ballot_id: null, adopted_plan: null,
          large_expense_threshold_fen: 0, large_expense_rule: 'ballot', plans: [budget.plan], created_at: '2026-11-01T00:00:00Z', decided_at: null,
        },
      ],
    })
    app = await mountConsole(`/estates/${ESTATE}/service/budgets`, { api, locale })
    expect(byTestId('execution-table')?.textContent).toContain('¥18,765.44')
    await vi.waitFor(() => expect(byTestId('budget-chart')).not.toBeNull(), { timeout: 10_000 })
    expect(chart.options.length).toBeGreaterThan(0)
    expect(byTestId('budget-drafts')?.textContent).toContain('提升方案')
    expect(api.calls(`GET ledger ${base}/budget-drafts`).map((c) => c.query)).toEqual([{ limit: 10, offset: 0 }])
  })

  it('pages the drafts on the server, the total from its header', async () => {
    const draft = (i: number) => ({
      id: `d${i}`, year: 2000 + i, status: 'adopted', ballot_subject: `budget:d${i}`, ballot_id: null, adopted_plan: null,
      large_expense_threshold_fen: 0, large_expense_rule: 'ballot', plans: [], created_at: '2026-11-01T00:00:00Z', decided_at: null,
    })
    const api = fakeApi({
      [`GET ledger ${base}/budgets/${YEAR}`]: refusal(404, 'no budget adopted'),
      [`GET ledger ${base}/budgets/${YEAR}/execution`]: [],
      [`GET ledger ${base}/budget-drafts`]: ({ query }) =>
        withTotal(Array.from({ length: 10 }, (_, i) => draft(Number(query?.offset) + i + 1)), 27),
    })
    app = await mountConsole(`/estates/${ESTATE}/service/budgets`, { api, locale })
    expect(app.wrapper.find('[data-testid="budget-drafts-pages"]').text()).toContain('27')
    await app.wrapper.find('[data-testid="budget-drafts-pages"] .btn-next').trigger('click')
    await settle()
    expect(api.calls(`GET ledger ${base}/budget-drafts`).map((c) => c.query)).toEqual([
      { limit: 10, offset: 0 },
      { limit: 10, offset: 10 },
    ])
    expect(byTestId('budget-drafts')?.textContent).toContain('2011')
  })

  it('drafts a budget in the editor, keeping what was typed when the ledger refuses', async () => {
    const api = fakeApi({
      [`GET ledger ${base}/budgets/${YEAR}`]: refusal(404, 'no budget adopted'),
      [`GET ledger ${base}/budgets/${YEAR}/execution`]: [],
      [`GET ledger ${base}/budget-drafts`]: [],
      [`POST ledger ${base}/budget-drafts`]: refusal(422, 'plan 基础方案 spends more than its income: keep spending within income'),
    })
    app = await mountConsole(`/estates/${ESTATE}/service/budgets`, { api, locale })
    await app.wrapper.find('[data-testid="new-draft"]').trigger('click')
    await settle()
    const editor = document.querySelector('[data-testid="draft-editor"]')!
    const inputs = [...editor.querySelectorAll<HTMLInputElement>('.plan input')]
    const values = ['基础方案', '1000', '5100', '保洁', '2000']
    for (const [i, value] of values.entries()) {
      inputs[i]!.value = value
      inputs[i]!.dispatchEvent(new Event('input'))
    }
    await settle()
    ;(document.querySelector('[data-testid="draft-save"]') as HTMLButtonElement).click()
    await settle()
    expect(api.calls(`POST ledger ${base}/budget-drafts`)[0]!.body).toEqual({
      year: YEAR,
      plans: [{ name: '基础方案', fee_income_fen: 100000, lines: [{ account: '5100', name: '保洁', amount_fen: 200000 }] }],
      large_expense_threshold_fen: 0,
      large_expense_rule: 'ballot',
    })
    expect(byTestId('draft-error')?.textContent).toContain('keep spending within income')
    expect(inputs[0]!.value).toBe('基础方案')
  })

  it('answers an open question, and shows the ledger’s reason when it refuses', async () => {
    const api = fakeApi({
      [`GET ledger ${base}/questions`]: withTotal([
        {
          question_id: 'q1', expense_id: 'e1', expense_number: 7, question: '为什么这么贵？', asked_at: '2026-11-03T00:00:00Z',
          answer: null, answered_at: null,
        },
      ], 1),
      [`POST ledger ${base}/expenses/e1/questions/q1/answer`]: refusal(409, 'the question is already answered'),
    })
    app = await mountConsole(`/estates/${ESTATE}/service/questions`, { api, locale })
    expect(byTestId('question-q1')?.textContent).toContain('为什么这么贵？')
    expect(api.calls(`GET ledger ${base}/questions`).map((c) => c.query)).toEqual([{ open: true, limit: 10, offset: 0 }])
    expect(api.log).not.toContain(`GET ledger ${base}/budgets/${YEAR}/execution`)
    expect(byTestId('questions-pages')).toBeNull() // one page: no pager
    await app.wrapper.find('[data-testid="question-q1"] textarea').setValue('两家报价取低者')
    await app.wrapper.find('[data-testid="question-q1"] button.send').trigger('click')
    await settle()
    expect(byTestId('question-q1')?.textContent).toContain('the question is already answered')
    expect(api.calls(`POST ledger ${base}/expenses/e1/questions/q1/answer`)[0]!.body).toEqual({ answer: '两家报价取低者' })
    expect(api.calls(`GET ledger ${base}/questions`)).toHaveLength(1) // refused: the page is not asked for again
    expect((app.wrapper.find('[data-testid="question-q1"] textarea').element as HTMLTextAreaElement).value).toBe('两家报价取低者')
  })

  it('pages the open questions on the server, and asks for the page shown again after an answer', async () => {
    const answered = new Set<string>()
    const open = () =>
      Array.from({ length: 23 }, (_, i) => ({
        question_id: `q${i + 1}`, expense_id: 'e1', expense_number: 7, question: `问题${i + 1}`,
        asked_at: '2026-11-03T00:00:00Z', answer: null, answered_at: null,
      })).filter((q) => !answered.has(q.question_id))
    const api = fakeApi({
      [`GET ledger ${base}/questions`]: ({ query }) => {
        const all = open()
        const offset = Number(query?.offset)
        return withTotal(all.slice(offset, offset + Number(query?.limit)), all.length)
      },
      [`POST ledger ${base}/expenses/e1/questions/q12/answer`]: () => {
        answered.add('q12')
        return { id: 'q12', expense_id: 'e1', question: '问题12', asked_at: '2026-11-03T00:00:00Z', answer: '已处理', answered_at: '2026-11-04T00:00:00Z' }
      },
    })
    app = await mountConsole(`/estates/${ESTATE}/service/questions`, { api, locale })
    expect(app.wrapper.find('[data-testid="questions-pages"]').text()).toContain('23')
    expect(byTestId('question-q1')).not.toBeNull()
    await app.wrapper.find('[data-testid="questions-pages"] .btn-next').trigger('click')
    await settle()
    expect(byTestId('question-q1')).toBeNull()
    expect(byTestId('question-q11')).not.toBeNull()
    await app.wrapper.find('[data-testid="question-q12"] textarea').setValue('已处理')
    await app.wrapper.find('[data-testid="question-q12"] button.send').trigger('click')
    await settle()
    expect(api.calls(`GET ledger ${base}/questions`).map((c) => c.query)).toEqual([
      { open: true, limit: 10, offset: 0 },
      { open: true, limit: 10, offset: 10 },
      { open: true, limit: 10, offset: 10 }, // the page shown, again
    ])
    expect(byTestId('question-q12')).toBeNull()
    expect(byTestId('question-q21')).not.toBeNull() // moved up from the third page
    expect(app.wrapper.find('[data-testid="questions-pages"]').text()).toContain('22')
  })

  it('shows the ticket queue with its countdowns, overdue ones marked', async () => {
    const ticket = (id: string, due: number, over: Partial<Ticket> = {}): Ticket => ({
      id, estate_code: ESTATE, view: 'staff', category: 'elevator', urgency: 'urgent', status: 'open', visibility: 'private',
      area: null, grid_code: null, description: '电梯困人', photos: [], household_id: 'h1', reporter_kind: 'resident',
      assignee: null, reported_at: '2026-11-30T00:00:00Z', first_response_due_at: new Date(Date.now() + due).toISOString(),
      resolution_due_at: new Date(Date.now() + due + 3600_000).toISOString(), acknowledged_at: null, resolved_at: null,
      closed_at: null, withdrawn_at: null, reopen_count: 0, resolution_note: null, breaches: [], escalation_level: null,
      complaint: false, materials_fen: 0, version: 1, ...over,
    })
    const api = fakeApi({
      [`GET ticketing ${base}/tickets`]: { tickets: [ticket('t1', 600_000), ticket('t2', -60_000)], next_before: 'x~t2' },
    })
    app = await mountConsole(`/estates/${ESTATE}/service/tickets`, { api, locale })
    expect(byTestId('countdown-t1')?.dataset.overdue).toBe('false')
    expect(byTestId('countdown-t2')?.dataset.overdue).toBe('true')
    expect(api.calls(`GET ticketing ${base}/tickets`)[0]!.query).toMatchObject({ open: true, limit: 20 })
  })
})
