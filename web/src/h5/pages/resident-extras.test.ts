/**
 * 报修, 社区微基金 and the books' expenses, mounted as in the app with fake APIs, in both
 * languages and strict i18n (a missing key, a Vue warning or an error fails the test).
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { ApiError } from '@/api/errors'
import type { Locale } from '@/i18n/format'
import { ESTATE, fundStatement, household, ticket, ticketDetail } from '@/test/fixtures'
import { fakeApi, mountApp, settle, type MountedApp } from '@/test/mount'

// ECharts draws on a canvas, which the test DOM has not (the books page draws its budget chart).
vi.mock('echarts/core', async (importOriginal) => ({
  ...(await importOriginal<typeof import('echarts/core')>()),
  init: () => ({ setOption: () => undefined, resize: () => undefined, dispose: () => undefined }),
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
})

const refused = (reason: string) => new ApiError(422, 'invalid', reason, 'req-1')

describe('repairs', () => {
  for (const [locale, status] of [
    ['zh-CN', '已处理，待确认'],
    ['en', 'Resolved, to confirm'],
  ] as [Locale, string][]) {
    it(`lists my tickets and opens one with its status and history (${locale})`, async () => {
      const mounted = await open(`/estates/${ESTATE}/repairs`, { locale })
      const row = mounted.wrapper.find(`[data-testid=ticket-${ticket.id}]`)
      expect(row.text()).toContain(status)
      await row.trigger('click')
      await settle()
      expect(mounted.router.currentRoute.value.query.ticket).toBe(ticket.id)
      expect(mounted.wrapper.find('[data-testid=ticket-status]').attributes('data-status')).toBe('resolved')
      expect(mounted.wrapper.text()).toContain('更换LED灯泡')
      expect(mounted.wrapper.findAll('.history li')).toHaveLength(ticketDetail.history.length)
    })
  }

  it('reports a problem with a photo: uploads it first, then the report with its sha256', async () => {
    const mounted = await open(`/estates/${ESTATE}/repairs`)
    await mounted.wrapper.find('[data-testid=new-ticket]').trigger('click')
    await settle()
    expect((mounted.wrapper.find('[data-testid=ticket-category]').element as HTMLSelectElement).value).toBe('lighting')
    const input = mounted.wrapper.find('[data-testid=ticket-photo]')
    expect(input.attributes('capture')).toBe('environment')
    expect(input.attributes('accept')).toBe('image/*')
    const photo = new File([new Uint8Array([137, 80, 78, 71])], 'light.png', { type: 'image/png' })
    Object.defineProperty(input.element, 'files', { value: [photo], configurable: true })
    await input.trigger('change')
    await mounted.wrapper.find('[data-testid=ticket-description]').setValue('楼道灯不亮')
    await mounted.wrapper.find('form').trigger('submit')
    await settle()
    expect(mounted.api.ticketing.uploadPhoto).toHaveBeenCalledWith(ESTATE, photo)
    expect(mounted.api.ticketing.report).toHaveBeenCalledWith(ESTATE, {
      category: 'lighting',
      urgency: 'normal',
      description: '楼道灯不亮',
      household_id: household.id,
      area: null,
      photos: ['a'.repeat(64)],
    })
    expect(mounted.router.currentRoute.value.query.ticket).toBe(ticket.id)
  })

  it("keeps what was typed and shows the API's reason when the report is refused", async () => {
    const api = fakeApi({ ticketing: { report: vi.fn(async () => Promise.reject(refused('类别不存在'))) } })
    const mounted = await open(`/estates/${ESTATE}/repairs`, { api })
    await mounted.wrapper.find('[data-testid=new-ticket]').trigger('click')
    await mounted.wrapper.find('[data-testid=ticket-description]').setValue('水管漏水')
    await mounted.wrapper.find('form').trigger('submit')
    await settle()
    expect(mounted.wrapper.find('[data-testid=ticket-error]').text()).toBe('类别不存在')
    expect((mounted.wrapper.find('[data-testid=ticket-description]').element as HTMLTextAreaElement).value).toBe('水管漏水')
  })

  it('confirms the fix with a rating and comment, and files a complaint', async () => {
    const mounted = await open(`/estates/${ESTATE}/repairs?ticket=${ticket.id}`, { locale: 'en' })
    const stars = mounted.wrapper.findAll('[data-testid=rating] input[type=radio]')
    expect(stars).toHaveLength(5)
    await stars[4]!.setValue(true)
    await mounted.wrapper.find('[data-testid=rating-comment]').setValue('quick')
    await mounted.wrapper.find('[data-testid=confirm-fix]').trigger('click')
    await settle()
    expect(mounted.api.ticketing.confirm).toHaveBeenCalledWith(ESTATE, ticket.id, 5, 'quick')
    await mounted.wrapper.find('[data-testid=complaint-reason]').setValue('too slow')
    await mounted.wrapper.find('[data-testid=complain]').trigger('click')
    await settle()
    expect(mounted.api.ticketing.complain).toHaveBeenCalledWith(ESTATE, ticket.id, 'too slow')
  })
})

describe('the community micro-fund', () => {
  for (const locale of ['zh-CN', 'en'] as Locale[]) {
    it(`shows the statement, the firms' pledges, donations and grants with instalments (${locale})`, async () => {
      const mounted = await open(`/estates/${ESTATE}/fund`, { locale })
      expect(mounted.api.microfund.statement).toHaveBeenCalledWith('jinhe')
      expect(mounted.wrapper.find('[data-testid=fund-statement]').text()).toContain('¥12,345.00')
      expect(mounted.wrapper.find('[data-testid=grant-grant-1]').text()).toContain('¥1,500.00')
    })
  }

  it("applies for a grant, and keeps the form with the API's reason when refused", async () => {
    const apply = vi.fn(async () => Promise.reject(refused('超出基金余额')))
    const mounted = await open(`/estates/${ESTATE}/fund`, { api: fakeApi({ microfund: { apply } }) })
    await mounted.wrapper.find('[data-testid=apply-grant]').trigger('click')
    await settle()
    await mounted.wrapper.find('[data-testid=grant-title]').setValue('楼道扶手')
    await mounted.wrapper.find('[data-testid=grant-purpose]').setValue('为老人加装扶手')
    await mounted.wrapper.find('[data-testid=grant-item]').setValue('扶手')
    await mounted.wrapper.find('[data-testid=grant-amount]').setValue('1,234.5')
    await mounted.wrapper.find('form').trigger('submit')
    await settle()
    expect(apply).toHaveBeenCalledWith(fundStatement.community_code, {
      title: '楼道扶手',
      purpose: '为老人加装扶手',
      budget: [{ item: '扶手', amount_fen: 123450 }],
      benefiting_estates: [ESTATE],
      applicant_kind: 'resident',
      group_name: null,
    })
    expect(mounted.wrapper.find('[data-testid=grant-error]').text()).toBe('超出基金余额')
    expect((mounted.wrapper.find('[data-testid=grant-title]').element as HTMLInputElement).value).toBe('楼道扶手')
  })
})

describe("the books' expenses", () => {
  for (const locale of ['zh-CN', 'en'] as Locale[]) {
    it(`opens an expense with its vouchers and answers, and asks a question (${locale})`, async () => {
      const mounted = await open(`/estates/${ESTATE}/books/2026-10`, { locale })
      await mounted.wrapper.find('[data-testid=expense-exp-1]').trigger('click')
      await settle()
      const detail = mounted.wrapper.find('[data-testid=expense-detail-exp-1]')
      expect(detail.text()).toContain('invoice.pdf')
      expect(detail.text()).toContain('含人工费')
      await mounted.wrapper.find('[data-testid=ask-question]').trigger('click')
      await mounted.wrapper.find('[data-testid=question-text]').setValue('发票在哪里？')
      await mounted.wrapper.find('[data-testid=submit-question]').trigger('submit')
      await settle()
      expect(mounted.api.ledger.ask).toHaveBeenCalledWith(ESTATE, 'exp-1', '发票在哪里？')
    })
  }
})
