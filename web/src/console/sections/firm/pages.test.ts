/**
 * The firm's pages mounted in the console with a fake API, in both languages with strict i18n (a
 * missing key, a Vue warning or an error fails the test).
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { ApiError } from '@/api/errors'
import type { Locale } from '@/i18n/format'
import { ESTATE, fakeApi, mountConsole, refusal, settle, users, type FakeApi, type MountedConsole } from '../../test/mount'
import { section } from './index'
import type { Arrears, BillingJob, HouseholdListed, Statement } from './types'

const BASE = `/estates/${ESTATE}/firm`
const H = `/v1/estates/${ESTATE}`

function household(i: number, extra: Partial<HouseholdListed> = {}): HouseholdListed {
  return {
    id: `00000000-0000-4000-8000-00000000000${i}`,
    building: '3',
    unit: '2',
    floor: '15',
    room: `150${i}`,
    area_centi_sqm: 9050,
    grid_code: 'G1',
    occupied_from: '2024-01-31',
    member_count: 2,
    owners: [{ name: '张*', phone: '138****1234' }],
    ...extra,
  }
}

const register = { total: 42, limit: 20, offset: 0, households: [household(1), household(2)] }

function job(status: BillingJob['status'], done: number, extra: Partial<BillingJob> = {}): BillingJob {
  return {
    job_id: 'job-1',
    scope: 'estate',
    district_code: null,
    estate_code: ESTATE,
    period: '2026-11',
    status,
    households_total: 4,
    households_done: done,
    estates_total: 1,
    estates_done: status === 'done' ? 1 : 0,
    households_billed: done,
    already_billed: 0,
    not_occupied: 0,
    billed_fen: 12345 * done,
    failures: [],
    created_at: '2026-11-30T08:00:00+08:00',
    finished_at: status === 'done' ? '2026-11-30T08:00:05+08:00' : null,
    ...extra,
  }
}

const statement: Statement = {
  estate_code: ESTATE,
  estate_name: '金河绿洲',
  closed: false,
  period: '2026-11',
  opening_balance_fen: 100000,
  fees_billed_fen: 50000,
  fees_collected_fen: 30000,
  collection_rate_bps: 6000,
  common_income_by_kind: { parking: 2000 },
  expenses_by_budget_line: { '5101': 1000 },
  remuneration_fen: 4500,
  donation_fen: 1350,
  closing_balance_fen: 125150,
  surplus_year_to_date_fen: 25150,
  budget: {
    period: '2026-11',
    year: 2026,
    plan_name: '基础方案',
    lines: [{ account: '5101', name: '保洁', adopted_fen: 120000, booked_in_period_fen: 1000, booked_year_to_date_fen: 9000, committed_fen: 0, remaining_fen: 111000 }],
    open_questions: [],
  },
}

let app: MountedConsole | undefined

async function open(path: string, api: FakeApi, locale: Locale = 'zh-CN', user = users.firmManager): Promise<MountedConsole> {
  app = await mountConsole(`${BASE}${path}`, { api, locale, user, sections: [section] })
  return app
}

function text(): string {
  return app?.wrapper.text() ?? ''
}

function headerOf(api: FakeApi, key: Parameters<FakeApi['calls']>[0], index = 0): string | undefined {
  const options = api.calls(key)[index] as { headers?: Record<string, string> } | undefined
  return options?.headers?.['Idempotency-Key']
}

function find(testid: string) {
  return app!.wrapper.find(`[data-testid="${testid}"]`)
}

/** An Element Plus input's <input> (the testid lands on it, or on its wrapper). */
function input(testid: string) {
  const found = find(testid)
  return found.element.tagName === 'INPUT' ? found : found.find('input')
}

afterEach(() => {
  expect(app?.problems).toEqual([])
  app?.wrapper.unmount()
  app = undefined
  vi.useRealTimers()
})

describe.each<Locale>(['zh-CN', 'en'])('every firm page renders in %s', (locale) => {
  it.each(['', '/billing', '/payments', '/arrears', '/statements', '/close'])('%s', async (path) => {
    const api = fakeApi({
      [`GET tenant ${H}/households`]: register,
      [`GET ledger ${H}/arrears`]: { as_of: '2026-11-30', total_fen: 0, ageing_fen: { '0-30': 0, '31-90': 0, '91-180': 0, '>180': 0 }, households: [], next_after: null },
      [`GET ledger ${H}/statements/2026-11`]: statement,
      [`GET ledger ${H}/statements/${new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit' }).format(new Date())}`]: statement,
    })
    await open(path, api, locale)
    expect(app!.router.currentRoute.value.path).toBe(`${BASE}${path}`)
    expect(text()).not.toMatch(/firm\.[a-z]+\./)
  })
})

describe('the household register and its import', () => {
  it('pages and searches on the server', async () => {
    const api = fakeApi({ [`GET tenant ${H}/households`]: register })
    await open('', api)
    expect(api.calls(`GET tenant ${H}/households`)[0]?.query).toEqual({ limit: 20, offset: 0 })
    expect(text()).toContain('3栋2单元1501室')
    expect(text()).toContain('共 42 户')
    await app!.wrapper.find('.el-pager li:nth-child(2)').trigger('click')
    await settle()
    expect(api.calls(`GET tenant ${H}/households`).at(-1)?.query).toEqual({ limit: 20, offset: 20 })
    await input('household-search').setValue('3栋2单元1502')
    await new Promise((resolve) => setTimeout(resolve, 350))
    await settle()
    // From the first page again, with the address typed.
    expect(api.calls(`GET tenant ${H}/households`).at(-1)?.query).toEqual({ limit: 20, offset: 0, q: '3栋2单元1502' })
  })

  it('names every refused row and imports nothing', async () => {
    const refused = Object.assign(new ApiError(422, 'invalid_input', '2 problem(s) in the file; nothing was imported'), {
      details: {
        row_errors: [
          { line: 3, column: '面积', reason: 'area must be a positive number of m² with at most 2 decimals' },
          { line: 5, column: '', reason: 'duplicate of line 2' },
        ],
      },
    })
    const api = fakeApi({ [`GET tenant ${H}/households`]: register, [`POST tenant ${H}/households/import`]: refused })
    await open('', api)
    const input = app!.wrapper.find('[data-testid="household-upload"] input[type="file"]')
    const file = new File(['楼栋,房号\n'], 'list.csv', { type: 'text/csv' })
    Object.defineProperty(input.element, 'files', { value: [file] })
    await input.trigger('change')
    await settle()
    const body = api.calls(`POST tenant ${H}/households/import`)[0]?.body
    expect(body).toBeInstanceOf(FormData)
    expect((body as FormData).get('file')).toBeInstanceOf(File)
    const rows = find('import-errors').findAll('tbody tr')
    expect(rows.map((row) => row.findAll('td').map((td) => td.text()))).toEqual([
      ['3', '面积', 'area must be a positive number of m² with at most 2 decimals'],
      ['5', '（整行）', 'duplicate of line 2'],
    ])
    expect(text()).toContain('list.csv 未导入')
  })

  it('shows how many were imported and reloads the register', async () => {
    const api = fakeApi({
      [`GET tenant ${H}/households`]: register,
      [`POST tenant ${H}/households/import`]: { imported: 12, household_ids: [] },
    })
    await open('', api, 'en')
    const input = app!.wrapper.find('[data-testid="household-upload"] input[type="file"]')
    Object.defineProperty(input.element, 'files', { value: [new File(['x'], 'good.xlsx')] })
    await input.trigger('change')
    await settle()
    expect(find('import-success').text()).toContain('12 households imported (good.xlsx)')
    expect(api.calls(`GET tenant ${H}/households`)).toHaveLength(2)
  })

  it('offers the template as a CSV with the header row', async () => {
    const created: Blob[] = []
    vi.spyOn(URL, 'createObjectURL').mockImplementation((blob) => {
      created.push(blob as Blob)
      return 'blob:template'
    })
    await open('', fakeApi({ [`GET tenant ${H}/households`]: register }))
    await find('household-template').trigger('click')
    expect(await created[0]!.text()).toBe('\ufeff"楼栋","单元","楼层","房号","面积","业主姓名","电话","网格","入住日期"\r\n')
  })
})

describe('billing runs', () => {
  it('starts a run with an idempotency key and follows it to 100%', async () => {
    const answers = [job('running', 2), job('done', 4)]
    const api = fakeApi({
      [`POST ledger ${H}/billing-runs`]: job('queued', 0, { households_total: null }),
      [`GET ledger /v1/billing-jobs/job-1`]: () => answers.shift() ?? job('done', 4),
    })
    await open('/billing', api)
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    await find('billing-start').trigger('submit')
    await vi.runOnlyPendingTimersAsync()
    await vi.runOnlyPendingTimersAsync()
    await vi.runOnlyPendingTimersAsync()
    vi.useRealTimers()
    await settle()
    expect(api.calls(`POST ledger ${H}/billing-runs`)[0]?.body).toEqual({ period: expect.stringMatching(/^\d{4}-\d{2}$/) })
    expect(headerOf(api, `POST ledger ${H}/billing-runs`)).toMatch(/^console-/)
    expect(find('billing-progress').text()).toContain('100%')
    expect(find('billing-status').text()).toBe('已完成')
    expect(find('billing-amount').text()).toBe('¥493.80')
    expect(app!.router.currentRoute.value.query.job).toBe('job-1')
  })

  it('keeps the key across retries of the same form', async () => {
    let calls = 0
    const api = fakeApi({
      [`POST ledger ${H}/billing-runs`]: () => (++calls === 1 ? new ApiError(0, 'network', 'Failed to fetch') : job('done', 4)),
      [`GET ledger /v1/billing-jobs/job-1`]: job('done', 4),
    })
    await open('/billing', api)
    await find('billing-start').trigger('submit')
    await settle()
    expect(find('billing-error').text()).toContain('Failed to fetch')
    await find('billing-start').trigger('submit')
    await settle()
    const first = headerOf(api, `POST ledger ${H}/billing-runs`, 0)
    expect(headerOf(api, `POST ledger ${H}/billing-runs`, 1)).toBe(first)
    expect(find('billing-progress').text()).toContain('100%')
  })
})

describe('payments entry', () => {
  const household1 = household(1)

  function paymentsApi(answer: unknown): FakeApi {
    return fakeApi({
      [`GET tenant ${H}/households`]: register,
      [`POST ledger ${H}/payments`]: answer,
      [`GET ledger ${H}/households/${household1.id}/account`]: { household_id: household1.id, owed_fen: 0, prepaid_fen: 50, bills: [], payments: [] },
    })
  }

  it('records yuan as fen and shows the answer', async () => {
    const api = paymentsApi({ payment_id: 'p1', transaction_id: 't1', number: 77, period: '2026-11', allocated: [{ bill_id: 'b1', amount_fen: 128000 }], to_prepaid_fen: 50 })
    await open(`/payments?household=${household1.id}`, api)
    await input('payment-amount').setValue('1,280.50')
    await input('payment-reference').setValue('WX-1')
    await app!.wrapper.find('form').trigger('submit')
    await settle()
    const sent = api.calls(`POST ledger ${H}/payments`)[0]
    expect(sent?.body).toEqual({
      household_id: household1.id,
      amount_fen: 128050,
      method: 'wechat_pay',
      reference: 'WX-1',
      received_on: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
    })
    expect(headerOf(api, `POST ledger ${H}/payments`)).toMatch(/^console-/)
    expect(find('payment-number').text()).toBe('77')
    expect(find('payment-allocated').text()).toBe('¥1,280.00')
    expect(find('payment-owed').text()).toBe('¥0.00')
  })

  it('keeps the form and shows the reason when refused; a retry is the same payment', async () => {
    const api = paymentsApi(refusal(409, 'the estate is suspended'))
    await open(`/payments?household=${household1.id}`, api, 'en')
    await input('payment-amount').setValue('90')
    await app!.wrapper.find('form').trigger('submit')
    await settle()
    expect(find('payment-refused').text()).toContain('the estate is suspended')
    expect((input('payment-amount').element as HTMLInputElement).value).toBe('90')
    await app!.wrapper.find('form').trigger('submit')
    await settle()
    const calls = api.calls(`POST ledger ${H}/payments`)
    expect(calls).toHaveLength(2)
    expect(headerOf(api, `POST ledger ${H}/payments`, 1)).toBe(headerOf(api, `POST ledger ${H}/payments`, 0))
  })

  it('refuses an amount that is not yuan with 2 decimals, without calling the API', async () => {
    const api = paymentsApi(refusal(422, 'never'))
    await open(`/payments?household=${household1.id}`, api)
    await input('payment-amount').setValue('12.345')
    await app!.wrapper.find('form').trigger('submit')
    await settle()
    expect(api.calls(`POST ledger ${H}/payments`)).toHaveLength(0)
    expect(find('payment-amount-error').text()).toContain('最多两位小数')
  })
})

describe('arrears', () => {
  const page1: Arrears = {
    as_of: '2026-11-30',
    total_fen: 30000,
    ageing_fen: { '0-30': 10000, '31-90': 5000, '91-180': 5000, '>180': 10000 },
    households: [{ household_id: household(1).id, owed_fen: 20000 }],
    next_after: household(1).id,
  }
  const page2: Arrears = { ...page1, households: [{ household_id: household(2).id, owed_fen: 10000 }], next_after: null }

  function arrearsApi(): FakeApi {
    return fakeApi({
      [`GET ledger ${H}/arrears`]: (options: { query?: Record<string, unknown> }) => (options.query?.after ? page2 : page1),
      [`GET tenant ${H}/households/${household(1).id}`]: { ...household(1), area_sqm: '90.50', occupied_until: null },
      [`GET tenant ${H}/households/${household(2).id}`]: { ...household(2), building: '=1+1', area_sqm: '90.50', occupied_until: null },
      [`GET tenant ${H}/households`]: { total: 2, limit: 1000, offset: 0, households: [household(1), household(2, { building: '=1+1' })] },
    })
  }

  it('shows the ageing and pages with the ledger cursor', async () => {
    const api = arrearsApi()
    await open('/arrears', api)
    expect(find('arrears-total').text()).toContain('¥300.00')
    expect(find('arrears-bucket->180').text()).toContain('¥100.00')
    expect(text()).toContain('3栋2单元1501室')
    await find('arrears-next').trigger('click')
    await settle()
    expect(api.calls(`GET ledger ${H}/arrears`).at(-1)?.query).toEqual({ limit: 50, after: household(1).id })
    expect(text()).toContain('¥100.00')
    await find('arrears-previous').trigger('click')
    await settle()
    expect(api.calls(`GET ledger ${H}/arrears`).at(-1)?.query).toEqual({ limit: 50, after: undefined })
  })

  it('exports every page as a spreadsheet-safe CSV', async () => {
    const created: Blob[] = []
    vi.spyOn(URL, 'createObjectURL').mockImplementation((blob) => {
      created.push(blob as Blob)
      return 'blob:arrears'
    })
    const api = arrearsApi()
    await open('/arrears', api)
    await find('arrears-export').trigger('click')
    await settle()
    const csv = await created[0]!.text()
    expect(csv.startsWith('\ufeff"楼栋","单元","房号","住户编号","欠费（元）"\r\n')).toBe(true)
    expect(csv).toContain(`"3","2","1501","${household(1).id}",200\r\n`)
    expect(csv).toContain(`"'=1+1","2","1502","${household(2).id}",100\r\n`)
    expect(csv).toContain('"账龄 >180 天（元）",100\r\n')
  })
})

describe('statements and the period close', () => {
  function statementApi(): FakeApi {
    return fakeApi({
      [`GET ledger ${H}/statements/2026-11`]: statement,
      [`GET ledger ${H}/statements/2026-11/pdf`]: new Blob(['%PDF-1.4'], { type: 'application/pdf' }),
      [`POST ledger ${H}/periods/2026-11/close`]: { ...statement, closed: true },
    })
  }

  async function openAt(path: string, api: FakeApi, user = users.firmManager): Promise<void> {
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(new Date('2026-11-15T04:00:00Z'))
    await open(path, api, 'zh-CN', user)
  }

  it('shows the month and downloads its PDF', async () => {
    const created: Blob[] = []
    vi.spyOn(URL, 'createObjectURL').mockImplementation((blob) => {
      created.push(blob as Blob)
      return 'blob:pdf'
    })
    const api = statementApi()
    await openAt('/statements', api)
    expect(find('statement-billed').text()).toBe('¥500.00')
    expect(text()).toContain('60.00%')
    expect(text()).toContain('停车')
    expect(text()).toContain('保洁')
    expect(find('period-close').exists()).toBe(false)
    await find('statement-pdf').trigger('click')
    await settle()
    expect(await created[0]!.text()).toBe('%PDF-1.4')
  })

  it('closes the month after a confirmation', async () => {
    const api = statementApi()
    await openAt('/close', api)
    await find('period-close').trigger('click')
    await settle()
    expect(api.calls(`POST ledger ${H}/periods/2026-11/close`)).toHaveLength(0)
    await app!.wrapper.findComponent({ name: 'ElDialog' }).find('[data-testid="close-confirm"]').trigger('click')
    await settle()
    expect(headerOf(api, `POST ledger ${H}/periods/2026-11/close`)).toMatch(/^console-/)
    expect(find('period-closed').exists()).toBe(true)
    expect(find('statement-state').text()).toBe('已月结')
  })

  it('is not open to the firm staff', async () => {
    await open('/close', statementApi(), 'zh-CN', users.firmStaff)
    expect(app!.router.currentRoute.value.name).toBe('forbidden')
  })
})
