/**
 * The community officer's pages mounted as in the console with a fake micro-fund API, in both
 * languages: firms' pledges against what they paid, the money received a page at a time from the
 * server (newest first), a firm's transfer recorded (yuan → fen, with an Idempotency-Key kept for a
 * retry), the form kept with the API's reason when refused, and a grant reviewed, paid with its
 * receipt and closed.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { Locale } from '@/i18n/format'
import { fakeApi, mountConsole, refusal, settle, users, withTotal, type FakeApi, type MountedConsole } from '../../test/mount'
import { section } from './index'
import type { FundDonation, FundStatement } from './types'
import type { OfficerGrant } from './types'
import { yuanToFen } from './useCommunity'

vi.setConfig({ testTimeout: 60_000 })

const ESTATE = 'jinhe-lvzhou'
const FUND = '/v1/communities/jinhe/fund'

const grant: OfficerGrant = {
  id: 'g-1',
  number: 1,
  title: '楼道读书角',
  purpose: '给孩子们一个读书的地方',
  budget: [{ item: '书架', amount_fen: 120000 }],
  amount_fen: 120000,
  benefiting_estates: [ESTATE],
  applicant_kind: 'resident_group',
  group_name: '亲子互助小组',
  applicant: 'resident',
  status: 'applied',
  approved_fen: 0,
  disbursed_fen: 0,
  decided_by: null,
  decision_note: '',
  ballot_subject: 'microfund-grant:g-1',
  ballots: {},
  instalments: [],
  attachments: [],
  report: '',
  report_photos: [],
}

const statement: FundStatement = {
  community_code: 'jinhe',
  name: 'jinhe 社区微基金',
  estates: [ESTATE, 'qingshan'],
  threshold_fen: 500000,
  balance_fen: 150142,
  pledges_receivable_fen: 332,
  grants_payable_fen: 0,
  donations_from_firms_fen: 474,
  other_donations_fen: 150000,
  grants_fen: 0,
  firms: [
    { estate_code: ESTATE, pledged_fen: 142, received_fen: 142, outstanding_fen: 0 },
    { estate_code: 'qingshan', pledged_fen: 332, received_fen: 0, outstanding_fen: 332 },
  ],
  donations: [
    { id: 'd1', source: 'firm', estate_code: ESTATE, amount_fen: 142, received_on: '2026-11-10', donor: null, note: '' },
    { id: 'd2', source: 'business', estate_code: null, amount_fen: 100000, received_on: '2026-11-12', donor: '便民超市', note: '' },
  ],
  grants: [grant],
}

function fundApi(extra: Record<string, unknown> = {}): FakeApi {
  return fakeApi({
    [`GET microfund /v1/estates/${ESTATE}/fund`]: { estate_code: ESTATE, community_code: 'jinhe' },
    [`GET microfund ${FUND}`]: statement,
    [`GET microfund ${FUND}/donations`]: [...statement.donations].reverse(), // newest first
    [`GET microfund ${FUND}/grants`]: [grant],
    [`GET microfund ${FUND}/grants/g-1`]: { grant, history: [{ action: 'applied', at: '2026-11-20T02:00:00Z', detail: {} }] },
    ...extra,
  })
}

let app: MountedConsole | undefined
afterEach(() => {
  if (app) expect(app.problems).toEqual([])
  app?.wrapper.unmount()
  app = undefined
  document.body.innerHTML = ''
})

async function open(path: string, locale: Locale = 'zh-CN', api = fundApi()) {
  app = await mountConsole(path, { user: users.communityOfficer, api, locale, sections: [section] })
  await settle()
  return app
}

const find = (testid: string) => document.querySelector<HTMLElement>(`[data-testid="${testid}"]`)
async function type(testid: string, value: string): Promise<void> {
  const el = find(testid)
  const input = (el?.tagName === 'INPUT' || el?.tagName === 'TEXTAREA' ? el : el?.querySelector('input, textarea')) as HTMLInputElement
  input.value = value
  input.dispatchEvent(new Event('input'))
  await settle()
}
async function click(testid: string): Promise<void> {
  find(testid)!.click()
  await settle()
}

describe('money', () => {
  it('reads yuan as fen without floating point', () => {
    expect(yuanToFen('3.32')).toBe(332)
    expect(yuanToFen('1,234.5')).toBe(123450)
    expect(yuanToFen('¥0.07')).toBe(7)
    expect(yuanToFen('0')).toBeNull()
    expect(yuanToFen('1.234')).toBeNull()
    expect(yuanToFen('-1')).toBeNull()
  })
})

describe('the fund', () => {
  for (const [locale, title] of [
    ['zh-CN', '各物业企业：认捐与到账'],
    ['en', 'Firms: pledged and received'],
  ] as const) {
    it(`shows each firm's pledges against what it paid (${locale})`, async () => {
      const mounted = await open(`/estates/${ESTATE}/community`, locale)
      expect(mounted.wrapper.text()).toContain(title)
      expect(find('firm-qingshan-pledged')?.textContent).toBe('¥3.32')
      expect(find('firm-qingshan-received')?.textContent).toBe('¥0.00')
      expect(find(`firm-${ESTATE}-outstanding`)?.textContent).toBe('¥0.00')
      expect(find('fund-balance')?.textContent).toBe('¥1,501.42')
      expect(find('fund-donations')?.textContent).toContain('便民超市')
    })
  }

  it("records a firm's transfer in fen, with an Idempotency-Key", async () => {
    const api = fundApi({ [`POST microfund ${FUND}/donations`]: { ...statement.donations[0], id: 'd3', estate_code: 'qingshan', amount_fen: 332 } })
    await open(`/estates/${ESTATE}/community`, 'zh-CN', api)
    await click('record-qingshan')
    expect((find('donation-amount')!.querySelector('input') ?? find('donation-amount') as HTMLInputElement).value).toBe('3.32')
    await click('donation-submit')
    const [call] = api.calls(`POST microfund ${FUND}/donations`)
    expect(call?.body).toMatchObject({ source: 'firm', estate_code: 'qingshan', amount_fen: 332 })
    expect((call?.body as { received_on: string }).received_on).toMatch(/^\d{4}-\d{2}-\d{2}$/)
    const key = call?.headers?.['Idempotency-Key']
    expect(key).toMatch(/^[A-Za-z0-9_.:-]{8,128}$/)
    // The statement and the first page of the money received are read again.
    expect(api.calls(`GET microfund ${FUND}`).length).toBeGreaterThan(1)
    expect(api.calls(`GET microfund ${FUND}/donations`).map((c) => c.query)).toEqual([
      { limit: 10, offset: 0 },
      { limit: 10, offset: 0 },
    ])
  })

  it("keeps what was typed and shows the API's reason when it refuses; a retry after no answer keeps the key", async () => {
    let attempt = 0
    const api = fundApi({
      [`POST microfund ${FUND}/donations`]: () => {
        attempt += 1
        if (attempt === 1) return refusal(0, 'network down', 'network')
        return refusal(409, 'the firm of qingshan owes 3.32 yuan, not 5.00')
      },
    })
    await open(`/estates/${ESTATE}/community`, 'en', api)
    await click('record-qingshan')
    await type('donation-amount', '5')
    await click('donation-submit')
    await click('donation-submit')
    expect(find('donation-error')?.textContent).toContain('owes 3.32 yuan')
    expect((find('donation-amount')!.querySelector('input') ?? find('donation-amount') as HTMLInputElement).value).toBe('5')
    const keys = api.calls(`POST microfund ${FUND}/donations`).map((c) => c.headers?.['Idempotency-Key'])
    expect(keys).toHaveLength(2)
    expect(keys[0]).toBe(keys[1])
  })

  it('refuses an amount that is not one before asking the API', async () => {
    const api = fundApi()
    await open(`/estates/${ESTATE}/community`, 'zh-CN', api)
    await click('record-donation')
    await type('donation-amount', '1.234')
    await click('donation-submit')
    expect(find('donation-error')?.textContent).toContain('最多两位小数')
    expect(api.calls(`POST microfund ${FUND}/donations`)).toEqual([])
  })
})

describe('grants', () => {
  for (const [locale, applied] of [
    ['zh-CN', '提交申请'],
    ['en', 'Applied'],
  ] as const) {
    it(`lists the grants and opens one (${locale})`, async () => {
      const mounted = await open(`/estates/${ESTATE}/community/grants`, locale)
      expect(find('grants-table')?.textContent).toContain('楼道读书角')
      expect(mounted.api.calls(`GET microfund ${FUND}/grants`).map((c) => c.query)).toEqual([
        { limit: 1, offset: 0 }, // one grant: the page is the whole of it
      ])
      await click('open-grant-g-1')
      expect(mounted.router.currentRoute.value.query.grant).toBe('g-1')
      expect(find('grant-status')?.getAttribute('data-status')).toBe('applied')
      expect(find('grant-review')).not.toBeNull()
      expect(find('grant-drawer')?.textContent ?? document.body.textContent).toContain(applied)
    })
  }

  it('a rejection needs a reason; the decision goes to the API', async () => {
    const api = fundApi({ [`POST microfund ${FUND}/grants/g-1/review`]: { ...grant, status: 'rejected', decision_note: '超出用途' } })
    await open(`/estates/${ESTATE}/community/grants?grant=g-1`, 'zh-CN', api)
    const reject = find('review-decision')!.querySelectorAll('input')[1] as HTMLInputElement
    reject.click()
    await settle()
    await click('review-submit')
    expect(find('review-error')?.textContent).toContain('理由')
    expect(api.calls(`POST microfund ${FUND}/grants/g-1/review`)).toEqual([])
    await type('review-note', '超出用途')
    await click('review-submit')
    expect(api.calls(`POST microfund ${FUND}/grants/g-1/review`)[0]?.body).toEqual({ approve: false, note: '超出用途' })
  })

  it('pays an instalment: the receipt uploaded first, then the instalment naming it', async () => {
    const approved = { ...grant, status: 'approved', approved_fen: 120000 }
    const sha = 'a'.repeat(64)
    const api = fundApi({
      [`GET microfund ${FUND}/grants/g-1`]: { grant: approved, history: [] },
      [`POST microfund ${FUND}/files`]: { sha256: sha, size: 4, media_type: 'application/pdf', file_name: 'r.pdf' },
      [`POST microfund ${FUND}/grants/g-1/disbursements`]: { ...approved, disbursed_fen: 60000 },
      [`POST microfund ${FUND}/grants/g-1/close`]: { ...approved, status: 'closed' },
    })
    await open(`/estates/${ESTATE}/community/grants?grant=g-1`, 'en', api)
    await type('pay-amount', '600')
    const input = find('pay-receipt') as HTMLInputElement
    Object.defineProperty(input, 'files', { value: [new File(['%PDF'], 'r.pdf', { type: 'application/pdf' })], configurable: true })
    input.dispatchEvent(new Event('change'))
    await click('pay-submit')
    expect(api.calls(`POST microfund ${FUND}/files`)[0]?.body).toBeInstanceOf(FormData)
    const [paid] = api.calls(`POST microfund ${FUND}/grants/g-1/disbursements`)
    expect(paid?.body).toMatchObject({ amount_fen: 60000, receipt: sha })
    expect(paid?.headers?.['Idempotency-Key']).toBeTruthy()
    await type('close-report', 'Done, 40 books bought')
    await click('close-submit')
    expect(api.calls(`POST microfund ${FUND}/grants/g-1/close`)[0]?.body).toEqual({ report: 'Done, 40 books bought', photos: [] })
  })
})

describe('the grants, paged on the server', () => {
  const numbered = (n: number, status = 'applied'): OfficerGrant => ({ ...grant, id: `g-${n}`, number: n, title: `项目 ${n}`, status })
  // 40 grants; the route lists them by number (oldest first), a page at a time, the total in X-Total-Count.
  const all = Array.from({ length: 40 }, (_, i) => numbered(i + 1, i % 10 === 0 ? 'rejected' : 'applied'))
  function pagedApi(): FakeApi {
    return fundApi({
      [`GET microfund ${FUND}`]: { ...statement, grants: all },
      [`GET microfund ${FUND}/grants`]: ({ query }: { query?: Record<string, unknown> }) => {
        const offset = Number(query?.offset)
        return withTotal(all.slice(offset, offset + Number(query?.limit)), all.length)
      },
    })
  }

  it('asks for the newest page first and the next one on paging, the total from the header', async () => {
    const mounted = await open(`/estates/${ESTATE}/community/grants`, 'en', pagedApi())
    const numbers = () => [...document.querySelectorAll('[data-testid="grants-table"] tbody tr')].map((r) => Number(r.querySelector('td')!.textContent))
    expect(numbers()).toEqual(Array.from({ length: 15 }, (_, i) => 40 - i))
    expect(find('grants-pages')?.textContent).toContain('40')
    ;(document.querySelector('[data-testid="grants-pages"] .btn-next') as HTMLButtonElement).click()
    await settle()
    expect(numbers()).toEqual(Array.from({ length: 15 }, (_, i) => 25 - i))
    expect(mounted.api.calls(`GET microfund ${FUND}/grants`).map((c) => c.query)).toEqual([
      { limit: 1, offset: 0 }, // learns the total
      { limit: 15, offset: 25 },
      { limit: 15, offset: 10 },
    ])
  })

  it("counts by status over the whole fund and lists a status's grants from the statement", async () => {
    const mounted = await open(`/estates/${ESTATE}/community/grants`, 'zh-CN', pagedApi())
    const filter = find('grant-filter')!
    expect(filter.textContent).toContain('(40)')
    expect(filter.textContent).toContain('(4)')
    ;([...filter.querySelectorAll('input')].find((i) => i.value === 'rejected') as HTMLInputElement).click()
    await settle()
    const rows = [...document.querySelectorAll('[data-testid="grants-table"] tbody tr')].map((r) => Number(r.querySelector('td')!.textContent))
    expect(rows).toEqual([31, 21, 11, 1])
    expect(mounted.api.calls(`GET microfund ${FUND}/grants`)).toHaveLength(2)
  })
})

describe('the money received, paged on the server', () => {
  // 23 donations; the route lists them newest first, a page at a time, the total in X-Total-Count.
  const donated = (n: number): FundDonation => ({
    id: `d-${n}`,
    source: 'resident',
    estate_code: null,
    amount_fen: 100 * n,
    received_on: `2026-10-${String(n).padStart(2, '0')}`,
    donor: `捐赠人${n}`,
    note: '',
  })
  const newestFirst = Array.from({ length: 23 }, (_, i) => donated(23 - i))
  function pagedApi(extra: Record<string, unknown> = {}): FakeApi {
    return fundApi({
      [`GET microfund ${FUND}/donations`]: ({ query }: { query?: Record<string, unknown> }) => {
        const offset = Number(query?.offset)
        return withTotal(newestFirst.slice(offset, offset + Number(query?.limit)), newestFirst.length)
      },
      ...extra,
    })
  }
  const donors = () =>
    [...document.querySelectorAll('[data-testid="fund-donations"] tbody tr')].map((r) => r.querySelectorAll('td')[2]!.textContent!.trim())

  it('shows the newest page first and the next one on paging, the total from the header', async () => {
    const mounted = await open(`/estates/${ESTATE}/community`, 'en', pagedApi())
    expect(donors()).toEqual(Array.from({ length: 10 }, (_, i) => `捐赠人${23 - i}`))
    expect(find('fund-donations-pages')?.textContent).toContain('23')
    ;(document.querySelector('[data-testid="fund-donations-pages"] .btn-next') as HTMLButtonElement).click()
    await settle()
    expect(donors()).toEqual(Array.from({ length: 10 }, (_, i) => `捐赠人${13 - i}`))
    expect(mounted.api.calls(`GET microfund ${FUND}/donations`).map((c) => c.query)).toEqual([
      { limit: 10, offset: 0 },
      { limit: 10, offset: 10 },
    ])
  })

  it('goes back to the first page after a donation is recorded', async () => {
    const api = pagedApi({ [`POST microfund ${FUND}/donations`]: { ...statement.donations[0], id: 'd-new', estate_code: 'qingshan', amount_fen: 332 } })
    await open(`/estates/${ESTATE}/community`, 'zh-CN', api)
    ;(document.querySelector('[data-testid="fund-donations-pages"] .btn-next') as HTMLButtonElement).click()
    await settle()
    await click('record-qingshan')
    await click('donation-submit')
    expect(api.calls(`GET microfund ${FUND}/donations`).map((c) => c.query)).toEqual([
      { limit: 10, offset: 0 },
      { limit: 10, offset: 10 },
      { limit: 10, offset: 0 },
    ])
    expect(donors()[0]).toBe('捐赠人23')
  })

  it("shows the API's reason when the page cannot be read, and reads it again on retry", async () => {
    let attempt = 0
    const api = fundApi({
      [`GET microfund ${FUND}/donations`]: () => {
        attempt += 1
        if (attempt === 1) throw refusal(503, 'the fund is not reachable', 'unavailable')
        return withTotal([...statement.donations].reverse(), 2)
      },
    })
    await open(`/estates/${ESTATE}/community`, 'en', api)
    expect(find('fund-donations-error')?.textContent).toContain('the fund is not reachable')
    expect(find('fund-firms')).not.toBeNull() // the rest of the statement is shown
    find('fund-donations-error')!.querySelector('button')!.click()
    await settle()
    expect(find('fund-donations-error')).toBeNull()
    expect(find('fund-donations')?.textContent).toContain('便民超市')
    expect(find('fund-donations-pages')).toBeNull() // one page
  })

  it('says so when nothing was received yet', async () => {
    await open(`/estates/${ESTATE}/community`, 'en', pagedApi({ [`GET microfund ${FUND}/donations`]: withTotal([], 0) }))
    expect(find('fund-donations')).toBeNull()
    expect(document.querySelector('.community-fund .el-empty')).not.toBeNull()
  })
})
