/**
 * The resident pages, mounted as in the app with fake APIs, in both languages and strict i18n:
 * a missing message key, a Vue warning or an error fails the test.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { defineComponent, h } from 'vue'
import { useI18n } from 'vue-i18n'
import { ApiError } from '@/api/errors'
import {
  ESTATE,
  account,
  closedBallot,
  closedBallotSummary,
  household,
  openBallot,
  openBallotSummary,
  otherOpening,
  provenTransaction,
  statement,
} from '@/test/fixtures'
import { fakeApi, mountApp, notFound, settle, type MountedApp } from '@/test/mount'
import { SECTIONS } from '../router'
import type { Locale } from '@/i18n/format'

const chart = vi.hoisted(() => ({ options: [] as unknown[], disposed: 0 }))

// ECharts draws on a canvas, which the test DOM has not: a stand-in records what it was given.
vi.mock('echarts/core', async (importOriginal) => ({
  ...(await importOriginal<typeof import('echarts/core')>()),
  init: () => ({
    setOption: (option: unknown) => chart.options.push(option),
    resize: () => undefined,
    dispose: () => void chart.disposed++,
  }),
}))

let app: MountedApp | undefined

async function open(path: string, options: Parameters<typeof mountApp>[1] = {}): Promise<MountedApp> {
  app = await mountApp(path, options)
  return app
}

afterEach(() => {
  expect(app?.problems).toEqual([])
  app?.wrapper.unmount()
  app = undefined
  chart.options.length = 0
})

describe('the test harness', () => {
  it('fails on a message key missing from the catalogue', async () => {
    const mounted = await open(`/estates/${ESTATE}/household`)
    mounted.router.addRoute({
      path: '/probe',
      meta: { public: true },
      component: defineComponent(() => {
        const { t } = useI18n()
        return () => h('p', t('no.such.key'))
      }),
    })
    await mounted.router.push('/probe')
    await settle()
    expect(mounted.problems.join('\n')).toContain('missing message "no.such.key"')
    mounted.problems.length = 0
  })
})

describe('every page', () => {
  const paths = [
    '/login',
    '/login?expired=1',
    '/estates',
    '/estates?denied=x-estate',
    ...SECTIONS.map((section) => `/estates/${ESTATE}/${section.path.split('/')[0]}`),
    '/no/such/page',
  ]
  for (const locale of ['zh-CN', 'en'] as Locale[]) {
    it.each(paths)(`renders %s in ${locale} with every message found`, async (path) => {
      const mounted = await open(path, { locale })
      expect(mounted.wrapper.text().length).toBeGreaterThan(0)
      expect(document.documentElement.lang).toBe(locale)
    })
  }
})

describe('the estate frame', () => {
  it('has a tabbar with the six sections, named in the page language', async () => {
    const mounted = await open(`/estates/${ESTATE}/household`)
    const tabs = mounted.wrapper.findAll('.van-tabbar-item')
    expect(tabs.map((tab) => tab.text())).toEqual(['我家', '账本', '核验', '投票', '报修', '微基金'])
    expect(tabs.every((tab) => tab.attributes('tabindex') === '0')).toBe(true)
    expect(mounted.wrapper.find('nav').attributes('aria-label')).toBe('主要栏目')
    expect(mounted.wrapper.find('[data-testid=estate-name]').text()).toBe('金河绿洲')
  })

  it('opens a section from the tabbar', async () => {
    const mounted = await open(`/estates/${ESTATE}/household`)
    await mounted.wrapper.find('[data-testid=tab-books]').trigger('click')
    await settle()
    expect(mounted.router.currentRoute.value.name).toBe('books')
    expect(mounted.wrapper.find('h1').text()).toBe('收支公开')
  })

  it('switches the language and keeps it', async () => {
    const mounted = await open(`/estates/${ESTATE}/household`)
    const button = mounted.wrapper.find('[data-testid=language-switch]')
    expect(button.attributes('aria-label')).toBe('Switch to English')
    await button.trigger('click')
    await settle()
    expect(mounted.wrapper.findAll('.van-tabbar-item').map((tab) => tab.text())).toEqual([
      'Home',
      'Books',
      'Verify',
      'Votes',
      'Repairs',
      'Fund',
    ])
    expect(document.documentElement.lang).toBe('en')
    expect(localStorage.getItem('xinyi.locale')).toBe('en')
    expect(document.title).toBe('My household · Xinyi')
    localStorage.clear()
  })

  it('logs out', async () => {
    const mounted = await open(`/estates/${ESTATE}/household`)
    const button = mounted.wrapper.find('[data-testid=logout]')
    expect(button.element.tagName).toBe('BUTTON')
    await button.trigger('click')
    expect(mounted.auth.logout).toHaveBeenCalledOnce()
  })
})

describe('my household', () => {
  it("shows the household's balance, prepaid credit, arrears, bills and payments", async () => {
    const mounted = await open(`/estates/${ESTATE}/household`)
    expect(mounted.api.tenant.myHouseholds).toHaveBeenCalledWith(ESTATE)
    expect(mounted.api.ledger.householdAccount).toHaveBeenCalledWith(ESTATE, household.id)
    const page = mounted.wrapper
    expect(page.text()).toContain('3栋2单元1502室')
    expect(page.text()).toContain('建筑面积 90.00 平方米')
    expect(page.find('[data-testid=balance]').text()).toContain('-¥26.50')
    expect(page.find('[data-testid=prepaid]').text()).toContain('¥5.00')
    expect(page.find('[data-testid=arrears]').text()).toContain('¥31.50')
    expect(page.find('[data-testid=bill-2026-11]').text()).toContain('待缴 ¥31.50')
    expect(page.find('[data-testid=bill-2026-10]').text()).toContain('已缴清')
    const payment = page.find('[data-testid=payment-payment-1]').text()
    expect(payment).toContain('微信支付')
    expect(payment).toContain('¥36.50')
    expect(payment).toContain('2026年10月5日')
    // Newest bill first.
    const bills = page.findAll('[data-testid^=bill-]').map((b) => b.attributes('data-testid'))
    expect(bills).toEqual(['bill-2026-11', 'bill-2026-10'])
    expect(page.find('[data-testid=bill-2026-11]').text()).toContain('90.00 平方米 × 35 分/平方米/月')
  })

  it('reads in English', async () => {
    const mounted = await open(`/estates/${ESTATE}/household`, { locale: 'en' })
    expect(mounted.wrapper.text()).toContain('Building 3, unit 2, room 1502')
    expect(mounted.wrapper.find('[data-testid=bill-2026-11]').text()).toContain('¥31.50 due')
    expect(mounted.wrapper.find('[data-testid=payment-payment-1]').text()).toContain('WeChat Pay')
  })

  it('lists the latest twelve payments, and all on request', async () => {
    const payments = Array.from({ length: 15 }, (_, i) => ({
      ...account.payments[0]!,
      id: `p${String(i).padStart(2, '0')}`,
      received_on: `2026-10-${String(i + 1).padStart(2, '0')}`,
    }))
    const api = fakeApi({ ledger: { householdAccount: vi.fn(async () => ({ ...account, payments })) } })
    const mounted = await open(`/estates/${ESTATE}/household`, { api })
    expect(mounted.wrapper.findAll('[data-testid^=payment-]')).toHaveLength(12)
    expect(mounted.wrapper.find('[data-testid=payment-p14]').exists()).toBe(true)
    const more = mounted.wrapper.find('[data-testid=all-payments]')
    expect(more.text()).toBe('显示全部 15 条')
    await more.trigger('click')
    expect(mounted.wrapper.findAll('[data-testid^=payment-]')).toHaveLength(15)
    expect(mounted.wrapper.find('[data-testid=all-payments]').exists()).toBe(false)
  })

  it('says what to do when no household is linked', async () => {
    const api = fakeApi({ tenant: { myHouseholds: vi.fn(async () => []) } })
    const mounted = await open(`/estates/${ESTATE}/household`, { api })
    expect(mounted.wrapper.find('[data-testid=no-household]').text()).toContain('邀请码')
    expect(api.ledger.householdAccount).not.toHaveBeenCalled()
  })

  it("shows the API's reason when the account cannot be read, and tries again", async () => {
    const householdAccount = vi
      .fn()
      .mockRejectedValueOnce(notFound('no household 6f1c in these books'))
      .mockResolvedValue(account)
    const mounted = await open(`/estates/${ESTATE}/household`, { api: fakeApi({ ledger: { householdAccount } }) })
    const alert = mounted.wrapper.find('[role=alert]')
    expect(alert.text()).toContain('no household 6f1c in these books')
    await alert.find('button').trigger('click')
    await settle()
    expect(mounted.wrapper.find('[data-testid=arrears]').exists()).toBe(true)
  })
})

describe('the open books', () => {
  it("shows the month's statement with budget vs actual", async () => {
    const mounted = await open(`/estates/${ESTATE}/books/2026-10`)
    expect(mounted.api.ledger.statement).toHaveBeenCalledWith(ESTATE, '2026-10')
    expect(mounted.api.ledger.budget).toHaveBeenCalledWith(ESTATE, 2026)
    const page = mounted.wrapper
    expect(page.find('[data-testid=pick-month]').text()).toContain('2026年10月')
    expect(page.find('[data-testid=statement-closed]').text()).toBe('已结账')
    expect(page.find('[data-testid=fees-collected]').text()).toContain('¥98,500.00')
    expect(page.find('[data-testid=collection-rate]').text()).toContain('98.50%')
    expect(page.find('[data-testid=closing-balance]').text()).toContain('¥64,000.00')
    expect(page.text()).toContain('停车')
    expect(page.text()).toContain('预算方案：基础服务方案')
    expect(page.find('[data-testid=budget-line-5101]').text()).toContain('¥240,000.00')
    expect(page.text()).toContain('为什么十月的绿化费比九月高？')
    // 12:30 UTC is 20:30 in Shanghai.
    expect(page.text()).toContain('2026年10月20日 20:30')
  })

  it('draws the chart from the budget lines, named for screen readers', async () => {
    const mounted = await open(`/estates/${ESTATE}/books/2026-10`)
    const figure = mounted.wrapper.find('[data-testid=budget-chart]')
    expect(figure.attributes('role')).toBe('img')
    expect(figure.attributes('aria-label')).toContain('2026')
    const option = chart.options.at(-1) as { yAxis: { data: string[] }; series: { data: number[] }[] }
    expect(option.yAxis.data).toEqual(['保洁', '绿化'])
    expect(option.series.map((s) => s.data)).toEqual([
      [240000, 120000],
      [200000, 90000],
    ])
  })

  it('moves between months', async () => {
    const mounted = await open(`/estates/${ESTATE}/books/2026-10`)
    await mounted.wrapper.find('[data-testid=prev-month]').trigger('click')
    await settle()
    expect(mounted.router.currentRoute.value.params.period).toBe('2026-09')
    expect(mounted.api.ledger.statement).toHaveBeenLastCalledWith(ESTATE, '2026-09')
    expect(mounted.wrapper.find('[data-testid=prev-month]').attributes('aria-label')).toBe('上个月')
  })

  it("says so when the year has no adopted budget, and shows the API's reason for a month outside the books", async () => {
    const api = fakeApi({
      ledger: {
        statement: vi.fn().mockResolvedValueOnce({
          ...statement,
          budget: { ...statement.budget, plan_name: null, lines: [], open_questions: [] },
        }).mockRejectedValue(notFound('no period 2026-08 in these books: they run from 2026-09 to 2026-11')),
        budget: vi.fn().mockRejectedValue(notFound('no budget adopted for 2026')),
      },
    })
    const mounted = await open(`/estates/${ESTATE}/books/2026-09`, { api })
    expect(mounted.wrapper.find('[data-testid=no-budget]').text()).toContain('2026 年尚无业主表决通过的预算')
    await mounted.wrapper.find('[data-testid=prev-month]').trigger('click')
    await settle()
    expect(mounted.wrapper.find('[role=alert]').text()).toContain('they run from 2026-09 to 2026-11')
  })

  it('disposes of the chart when leaving the page', async () => {
    const before = chart.disposed
    const mounted = await open(`/estates/${ESTATE}/books/2026-10`)
    await mounted.router.push(`/estates/${ESTATE}/household`)
    await settle()
    expect(chart.disposed).toBe(before + 1)
  })
})


describe('verify my payment', () => {
  const payment = { ...account.payments[0]!, transaction_id: provenTransaction }
  const withPayment = (overrides: Parameters<typeof fakeApi>[0] = {}) =>
    fakeApi({
      ...overrides,
      ledger: { householdAccount: vi.fn(async () => ({ ...account, payments: [payment] })), ...overrides.ledger },
    })

  for (const locale of ['zh-CN', 'en'] as Locale[]) {
    it(`checks the proof of a payment in the browser and offers the files (${locale})`, async () => {
      const mounted = await open(`/estates/${ESTATE}/verify`, { locale, api: withPayment() })
      await mounted.wrapper.find(`[data-testid=verify-${provenTransaction}]`).trigger('click')
      await settle()
      await vi.waitFor(() => expect(mounted.wrapper.find('[data-testid=verify-ok]').exists()).toBe(true), { timeout: 10_000 })
      expect(mounted.api.ledger.inclusionProof).toHaveBeenCalledWith(ESTATE, provenTransaction)
      expect(mounted.api.ledger.opening).toHaveBeenCalledWith(ESTATE, household.id)
      expect(mounted.wrapper.find('[data-testid=verify-ok]').text()).toContain(locale === 'en' ? 'Verified' : '核验通过')
      expect(mounted.wrapper.find('[data-testid=verify-household-line]').text()).toContain('¥10.07')
      expect(mounted.wrapper.find('[data-testid=verify-cosigned]').exists()).toBe(true)
      const link = mounted.wrapper.find('[data-testid=download-proof]')
      expect(link.attributes('download')).toBe(`xinyi-proof-${provenTransaction.slice(0, 8)}.json`)
      expect(link.attributes('href')).toMatch(/^blob:/)
      expect(mounted.wrapper.find('[data-testid=verify-command]').text()).toContain('xinyi verify')
    })
  }

  it("says why a proof fails: another household's opening", async () => {
    const api = withPayment({ ledger: { opening: vi.fn(async () => otherOpening) } })
    const mounted = await open(`/estates/${ESTATE}/verify`, { api })
    await mounted.wrapper.find(`[data-testid=verify-${provenTransaction}]`).trigger('click')
    await vi.waitFor(() => expect(mounted.wrapper.find('[data-testid=verify-failed]').exists()).toBe(true), { timeout: 10_000 })
    expect(mounted.wrapper.find('[data-testid=verify-failed]').text()).toContain('这笔分录中没有属于本户的行')
    expect(mounted.wrapper.find('[data-testid=verify-ok]').exists()).toBe(false)
  })

  it("shows the API's reason when the payment is not in a checkpoint yet", async () => {
    const api = withPayment({ ledger: { inclusionProof: vi.fn().mockRejectedValue(notFound('entry x is not in the log yet')) } })
    const mounted = await open(`/estates/${ESTATE}/verify`, { api, locale: 'en' })
    await mounted.wrapper.find(`[data-testid=verify-${provenTransaction}]`).trigger('click')
    await vi.waitFor(() => expect(mounted.wrapper.find('[data-testid=verify-failed]').exists()).toBe(true), { timeout: 10_000 })
    expect(mounted.wrapper.find('[data-testid=verify-failed]').text()).toContain('entry x is not in the log yet')
  })

  it('refuses the proof of another transaction', async () => {
    const api = fakeApi() // the account's payment is not the proven entry
    const mounted = await open(`/estates/${ESTATE}/verify`, { api })
    const id = account.payments[0]!.transaction_id
    await mounted.wrapper.find(`[data-testid=verify-${id}]`).trigger('click')
    await vi.waitFor(() => expect(mounted.wrapper.find('[data-testid=verify-failed]').exists()).toBe(true), { timeout: 10_000 })
    expect(mounted.wrapper.find('[data-testid=verify-failed]').text()).toContain('证明不是这笔缴费的')
  })
})

describe('ballots', () => {
  beforeEach(() => sessionStorage.clear())

  for (const locale of ['zh-CN', 'en'] as Locale[]) {
    it(`lists the ballots and opens one with its terms (${locale})`, async () => {
      const mounted = await open(`/estates/${ESTATE}/ballots`, { locale })
      const item = mounted.wrapper.find(`[data-testid=ballot-${openBallotSummary.id}]`)
      expect(item.text()).toContain('是否更换3栋电梯？')
      expect(mounted.wrapper.find(`[data-testid=ballot-${closedBallotSummary.id}]`).exists()).toBe(true)
      await item.trigger('click')
      await settle()
      expect(mounted.router.currentRoute.value.query.ballot).toBe(openBallotSummary.id)
      expect(mounted.api.tenant.ballot).toHaveBeenCalledWith(ESTATE, openBallotSummary.id)
      expect(mounted.wrapper.find('[data-testid=ballot-turnout]').text()).toContain(locale === 'en' ? '37 of 120' : '37 / 120')
      expect(mounted.wrapper.findAll('[data-testid^=option-]')).toHaveLength(3)
    })
  }

  it('votes for the household and shows the receipt, also after coming back', async () => {
    const api = fakeApi({
      tenant: {
        ballot: vi
          .fn()
          .mockResolvedValueOnce(openBallot)
          .mockResolvedValue({ ...openBallot, votes_cast: 38, own_votes: { [household.id]: '反对' } }),
      },
    })
    const mounted = await open(`/estates/${ESTATE}/ballots?ballot=${openBallot.id}`, { api })
    await mounted.wrapper.find('[data-testid=option-1]').trigger('click')
    await mounted.wrapper.find('form').trigger('submit')
    await settle()
    expect(api.tenant.vote).toHaveBeenCalledWith(ESTATE, openBallot.id, '反对')
    expect(mounted.wrapper.find('[data-testid=receipt-code]').text()).toBe('K7QX-M2PA-9HVD')
    expect(mounted.wrapper.find('[data-testid=own-vote]').text()).toContain('反对')
    await mounted.router.push({ query: {} })
    await settle()
    await mounted.router.push({ query: { ballot: openBallot.id } })
    await settle()
    expect(mounted.wrapper.find('[data-testid=receipt-code]').text()).toBe('K7QX-M2PA-9HVD')
  })

  it("keeps the choice and shows the API's reason when the vote is refused", async () => {
    const refused = new ApiError(409, 'conflict', 'the ballot is closed', 'req-2')
    const api = fakeApi({ tenant: { vote: vi.fn().mockRejectedValue(refused) } })
    const mounted = await open(`/estates/${ESTATE}/ballots?ballot=${openBallot.id}`, { api, locale: 'en' })
    await mounted.wrapper.find('[data-testid=option-2]').trigger('click')
    await mounted.wrapper.find('form').trigger('submit')
    await settle()
    expect(mounted.wrapper.find('[data-testid=vote-error]').text()).toContain('the ballot is closed')
    expect(mounted.wrapper.find('[data-testid=receipt-code]').exists()).toBe(false)
    expect((mounted.wrapper.find('[data-testid=option-2] input').element as HTMLInputElement).checked).toBe(true)
  })

  it('asks for the first 20 ballots and offers no more when they are all', async () => {
    const mounted = await open(`/estates/${ESTATE}/ballots`)
    expect(mounted.api.tenant.ballots).toHaveBeenCalledWith(ESTATE, { limit: 20, offset: 0 })
    expect(mounted.wrapper.findAll('[data-testid^=ballot-]')).toHaveLength(2)
    expect(mounted.wrapper.find('[data-testid=ballots-more]').exists()).toBe(false)
  })

  it('loads 20 more ballots on request, newest first, until a page comes back short', async () => {
    // 45 ballots, newest first as the server lists them, a page of `limit` after `offset`.
    const all = Array.from({ length: 45 }, (_, i) => ({
      ...openBallotSummary,
      id: `ballot-${String(45 - i).padStart(2, '0')}`,
      question: `议题 ${45 - i}`,
    }))
    const ballots = vi.fn(async (_code: string, page?: { limit: number; offset: number }) =>
      all.slice(page?.offset ?? 0, (page?.offset ?? 0) + (page?.limit ?? 100)),
    )
    const mounted = await open(`/estates/${ESTATE}/ballots`, { api: fakeApi({ tenant: { ballots } }) })
    const shown = () => mounted.wrapper.findAll('[data-testid^=ballot-ballot-]').map((w) => w.attributes('data-testid'))
    expect(shown()).toEqual(all.slice(0, 20).map((b) => `ballot-${b.id}`))
    await mounted.wrapper.find('[data-testid=ballots-more]').trigger('click')
    await settle()
    expect(shown()).toEqual(all.slice(0, 40).map((b) => `ballot-${b.id}`))
    await mounted.wrapper.find('[data-testid=ballots-more]').trigger('click')
    await settle()
    expect(shown()).toEqual(all.map((b) => `ballot-${b.id}`))
    expect(mounted.wrapper.find('[data-testid=ballots-more]').exists()).toBe(false)
    expect(ballots.mock.calls.map((call) => call[1])).toEqual([
      { limit: 20, offset: 0 },
      { limit: 20, offset: 20 },
      { limit: 20, offset: 40 },
    ])
  })

  it("keeps what was shown when more cannot be loaded, with the API's reason and a retry", async () => {
    const page = (from: number) =>
      Array.from({ length: 20 }, (_, i) => ({ ...openBallotSummary, id: `ballot-${from + i}`, question: `议题 ${from + i}` }))
    const ballots = vi
      .fn()
      .mockResolvedValueOnce(page(0))
      .mockRejectedValueOnce(new ApiError(503, 'unavailable', 'the register is busy', 'req-3'))
      // A ballot opened meanwhile: the list moved down by one, the one already shown is not shown twice.
      .mockResolvedValueOnce([page(0)[19]!, ...page(20).slice(0, 5)])
    const mounted = await open(`/estates/${ESTATE}/ballots`, { api: fakeApi({ tenant: { ballots } }), locale: 'en' })
    await mounted.wrapper.find('[data-testid=ballots-more]').trigger('click')
    await settle()
    expect(mounted.wrapper.text()).toContain('the register is busy')
    expect(mounted.wrapper.findAll('[data-testid^=ballot-ballot-]')).toHaveLength(20)
    await mounted.wrapper.find('[role=alert] button').trigger('click')
    await settle()
    expect(mounted.wrapper.text()).not.toContain('the register is busy')
    const ids = mounted.wrapper.findAll('[data-testid^=ballot-ballot-]').map((w) => w.attributes('data-testid'))
    expect(ids).toHaveLength(25)
    expect(new Set(ids).size).toBe(25)
    expect(mounted.wrapper.find('[data-testid=ballots-more]').exists()).toBe(false)
    expect(ballots.mock.calls.map((call) => call[1])).toEqual([
      { limit: 20, offset: 0 },
      { limit: 20, offset: 20 },
      { limit: 20, offset: 20 },
    ])
  })

  it('shows the result of a closed ballot and checks a receipt in the audit list', async () => {
    const mounted = await open(`/estates/${ESTATE}/ballots?ballot=${closedBallot.id}`)
    expect(mounted.wrapper.find('[data-testid=ballot-result]').text()).toContain('84 户')
    expect(mounted.wrapper.find('[data-testid=vote]').exists()).toBe(false)
    await mounted.wrapper.find('[data-testid=receipt-input]').setValue('K7QX-M2PA-9HVD')
    await mounted.wrapper.find('form').trigger('submit')
    await settle()
    expect(mounted.api.tenant.checkReceipt).toHaveBeenCalledWith(ESTATE, closedBallot.id, 'K7QX-M2PA-9HVD')
    expect(mounted.wrapper.find('[data-testid=receipt-counted]').text()).toContain('同意')
  })
})
