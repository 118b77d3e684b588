/**
 * The committee's pages mounted as in the console (strict i18n, Element Plus, router guards) with a
 * fake governance API, in both languages: figures with 'suppressed' never shown as 0, the API's CSV
 * export (XLSX only when the OpenAPI offers it), the comparison, the report verified in the page.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { Locale } from '@/i18n/format'
import { concat, sha256, toBase64, toHex, utf8 } from '@/verify/bytes'
import { canonicalJson } from '@/verify/entries'
import { keyId } from '@/verify/note'
import { fakeApi, mountConsole, settle, users, withTotal, type MountedConsole } from '../../test/mount'
import { section } from './index'
import { comparison, communityRow, districtRow, estateRow, page, PERIOD, ranking, smallEstateRow } from './testdata'
import type { FiguresQuery } from './types'

// ECharts draws on a canvas, which the test DOM has not.
const charts = vi.hoisted(() => ({ drawn: 0 }))
function fakeInit() {
  charts.drawn += 1
  return { setOption: () => undefined, resize: () => undefined, dispose: () => undefined }
}
vi.mock('./echarts', () => ({ init: fakeInit }))
vi.mock('echarts/core', async (importOriginal) => ({ ...(await importOriginal<typeof import('echarts/core')>()), init: fakeInit }))
// Mounting Element Plus is slow on a busy machine.
vi.setConfig({ testTimeout: 60_000 })
const saved: { blob: Blob; name: string }[] = []
vi.mock('./download', () => ({ saveBlob: (blob: Blob, name: string) => saved.push({ blob, name }) }))

let app: MountedConsole | undefined
afterEach(() => {
  expect(app?.problems).toEqual([])
  app?.wrapper.unmount()
  app = undefined
  saved.length = 0
})

function governanceApi(extra: Record<string, unknown> = {}) {
  return fakeApi({
    'GET tenant /v1/governance/figures': ({ query }: { query?: FiguresQuery }) => {
      const rows = [districtRow, communityRow, estateRow, smallEstateRow]
      return page(rows.filter((r) => !query?.level || r.level === query.level))
    },
    'GET tenant /v1/governance/ranking': ranking,
    'GET tenant /v1/governance/estates/jinhe-lvzhou/comparison': comparison,
    'GET tenant /openapi.json': { paths: { '/v1/governance/figures': { get: { parameters: [{ name: 'format', schema: { enum: ['json', 'csv'] } }] } } } },
    ...extra,
  })
}

async function open(path: string, locale: Locale = 'zh-CN', api = governanceApi()) {
  app = await mountConsole(path, { user: users.governanceObserver, api, locale, sections: [section] })
  await settle()
  return app
}

const cell = (mounted: MountedConsole, testid: string) => mounted.wrapper.find(`[data-testid="${testid}"]`)

describe('the dashboard', () => {
  for (const [locale, suppressed, duration] of [
    ['zh-CN', '已隐去', '25小时00分'],
    ['en', 'suppressed', '25 h 00 min'],
  ] as const) {
    it(`shows the month's figures; suppressed as such, null as — (${locale})`, async () => {
      const mounted = await open(`/committee?period=${PERIOD}&level=estate`, locale)
      expect(mounted.api.calls('GET tenant /v1/governance/figures')).toContainEqual(
        expect.objectContaining({ query: { period: PERIOD, level: 'estate', limit: 20, offset: 0 } }),
      )
      expect(cell(mounted, 'fig-jinhe-lvzhou-collection_rate_bps').text()).toBe('92.50%')
      expect(cell(mounted, 'fig-jinhe-lvzhou-resolution_median_seconds').text()).toBe(duration)
      expect(cell(mounted, 'fig-jinhe-lvzhou-surplus_fen').text()).toBe('-¥2,576.90')
      expect(cell(mounted, 'fig-jinhe-lvzhou-fund_granted_fen').text()).toBe('—')
      const hidden = cell(mounted, 'fig-xiaoyuan-collection_rate_bps')
      expect(hidden.attributes('data-state')).toBe('suppressed')
      expect(hidden.text()).toBe(suppressed)
      expect(hidden.text()).not.toContain('0')
      // The ranking: the shown one ranked, the suppressed one listed apart, not as 0.
      expect(cell(mounted, 'rank-jinhe-lvzhou').text()).toContain('92.50%')
      expect(cell(mounted, 'rank-xiaoyuan').text()).toContain(suppressed)
      await vi.waitFor(() => expect(charts.drawn).toBeGreaterThan(0), { timeout: 10_000 })
    })
  }

  it('asks the API again for another level and area, and the trend for the months', async () => {
    const mounted = await open(`/committee?period=${PERIOD}&level=community&area=shuangliu&from=2026-01&to=2026-10`)
    expect(mounted.api.calls('GET tenant /v1/governance/figures')).toContainEqual(
      expect.objectContaining({ query: { period: PERIOD, level: 'community', area: 'shuangliu', limit: 20, offset: 0 } }),
    )
    expect(mounted.api.calls('GET tenant /v1/governance/figures')).toContainEqual(
      expect.objectContaining({ query: { from: '2026-01', to: '2026-10', level: 'community', area: 'shuangliu', limit: 500, offset: 0 } }),
    )
    expect(mounted.api.calls('GET tenant /v1/governance/ranking')).toContainEqual(
      expect.objectContaining({ query: { period: PERIOD, metric: 'collection_rate_bps', level: 'community', area: 'shuangliu' } }),
    )
    expect(mounted.wrapper.find('[data-testid="area-jinhe"]').exists()).toBe(true)
  })

  it('draws a page of a district of 2,000 estates at a time: the ranking, its chart and the area choices', async () => {
    const many = Array.from({ length: 2000 }, (_, i) => ({ ...estateRow, code: `estate-${i}`, name: `小区${i}` }))
    const communities = Array.from({ length: 300 }, (_, i) => ({ ...communityRow, code: `community-${i}` }))
    const big = {
      ...ranking,
      rows: [
        ...many.map((r, i) => ({ ...ranking.rows[0]!, code: r.code, name: r.name, rank: i + 1, value: 9999 - i })),
        ...many.slice(0, 30).map((r) => ({ ...ranking.rows[1]!, code: `${r.code}-small` })),
      ],
    }
    const api = governanceApi({
      'GET tenant /v1/governance/ranking': big,
      'GET tenant /v1/governance/figures': ({ query }: { query?: FiguresQuery & { limit?: number } }) =>
        query?.limit === 20 ? withTotal(page(many.slice(0, 20)), many.length) : page([...many, ...communities]),
    })
    const mounted = await open(`/committee?period=${PERIOD}&level=estate`, 'zh-CN', api)
    const ranked = () => mounted.wrapper.findAll('[data-testid="committee-ranking"] .committee-dashboard__ranked li')
    expect(ranked()).toHaveLength(20)
    expect(ranked()[0]!.attributes('data-testid')).toBe('rank-estate-0')
    expect(mounted.wrapper.find('[data-testid="committee-ranking"]').text()).toContain('等另外 10 个')
    const pager = mounted.wrapper.find('[data-testid="committee-ranking-pages"]')
    expect(pager.text()).toContain('2000')
    await pager.find('.btn-next').trigger('click')
    await settle()
    expect(ranked()[0]!.attributes('data-testid')).toBe('rank-estate-20')
    // The area select: the first 50 areas and a hint, not 300 options.
    const labels = mounted.wrapper
      .findAllComponents({ name: 'ElOption' })
      .map((o) => String(o.props('label')))
      .filter((label) => label.includes('community-') || label.includes('还有'))
    expect(labels.filter((label) => label.includes('community-'))).toHaveLength(50)
    expect(labels).toContain('还有 250 个，请输入代码查找')
  })

  it("downloads the API's CSV with the token, and offers no XLSX the API lacks", async () => {
    const csv = new Blob(['\ufeffperiod,level,code\n'], { type: 'text/csv' })
    const api = governanceApi()
    vi.mocked(api.blob).mockResolvedValueOnce(csv)
    const mounted = await open(`/committee?period=${PERIOD}&level=estate`, 'zh-CN', api)
    expect(mounted.wrapper.find('[data-testid="committee-xlsx"]').exists()).toBe(false)
    await mounted.wrapper.find('[data-testid="committee-csv"]').trigger('click')
    await settle()
    expect(api.blob).toHaveBeenCalledWith('tenant', `/v1/governance/figures?period=${PERIOD}&level=estate&format=csv`)
    expect(saved).toEqual([{ blob: csv, name: `governance-${PERIOD}-estate.csv` }])
  })

  it('offers XLSX when the OpenAPI lists it', async () => {
    const api = governanceApi({
      'GET tenant /openapi.json': { paths: { '/v1/governance/figures': { get: { parameters: [{ name: 'format', schema: { enum: ['json', 'csv', 'xlsx'] } }] } } } },
    })
    const mounted = await open(`/committee?period=${PERIOD}`, 'en', api)
    await mounted.wrapper.find('[data-testid="committee-xlsx"]').trigger('click')
    await settle()
    expect(api.blob).toHaveBeenCalledWith('tenant', `/v1/governance/figures?period=${PERIOD}&level=estate&format=xlsx`)
  })

  it("shows the API's reason when it refuses", async () => {
    const { refusal } = await import('../../test/mount')
    const api = governanceApi({ 'GET tenant /v1/governance/figures': refusal(422, 'give period, or from and to') })
    const mounted = await open(`/committee?period=${PERIOD}`, 'zh-CN', api)
    expect(cell(mounted, 'committee-error').text()).toContain('give period, or from and to')
  })

  it('asks no API but the governance API; the trend of every estate is the districts\'', async () => {
    const mounted = await open(`/committee?period=${PERIOD}&from=2026-09&to=2026-10`)
    expect(mounted.api.calls('GET tenant /v1/governance/figures')).toContainEqual(
      expect.objectContaining({ query: { from: '2026-09', to: '2026-10', level: 'district', limit: 500, offset: 0 } }),
    )
    expect(mounted.api.log.every((call) => /^GET tenant (\/v1\/governance\/|\/openapi\.json$)/.test(call))).toBe(true)
  })

  it('pages the figures on the server, the total from the answer; the search looks through every row', async () => {
    // 45 estates; the route pages them (total in the body and in X-Total-Count) and has no search.
    const estates = Array.from({ length: 45 }, (_, i) => ({ ...estateRow, code: `estate-${String(i + 1).padStart(2, '0')}`, name: `小区 ${i + 1}` }))
    const api = governanceApi({
      'GET tenant /v1/governance/figures': ({ query }: { query?: FiguresQuery & { limit?: number; offset?: number } }) => {
        const rows = query?.level === 'estate' ? estates : [districtRow]
        const offset = Number(query?.offset ?? 0)
        const limit = Number(query?.limit ?? 100)
        return withTotal({ ...page(rows.slice(offset, offset + limit)), total: rows.length, limit, offset }, rows.length)
      },
    })
    const mounted = await open(`/committee?period=${PERIOD}&level=estate`, 'en', api)
    const figureCalls = () =>
      mounted.api.calls('GET tenant /v1/governance/figures').filter((c) => (c.query as FiguresQuery).level === 'estate' && (c.query as FiguresQuery).period)
    expect(figureCalls().map((c) => c.query)).toEqual([{ period: PERIOD, level: 'estate', limit: 20, offset: 0 }])
    expect(cell(mounted, 'committee-figures-pages').text()).toContain('45')
    expect(cell(mounted, 'area-estate-01').exists()).toBe(true)
    expect(cell(mounted, 'area-estate-21').exists()).toBe(false)
    await mounted.wrapper.find('[data-testid="committee-figures-pages"] .btn-next').trigger('click')
    await settle()
    expect(figureCalls().map((c) => c.query)[1]).toEqual({ period: PERIOD, level: 'estate', limit: 20, offset: 20 })
    expect(cell(mounted, 'area-estate-21').exists()).toBe(true)
    // The search asks for every row once (pages of 500), then finds and pages them here.
    await mounted.wrapper.find('input[data-testid="committee-search"], [data-testid="committee-search"] input').setValue('estate-4')
    await settle()
    expect(figureCalls().map((c) => c.query)[2]).toEqual({ period: PERIOD, level: 'estate', limit: 500, offset: 0 })
    expect(mounted.wrapper.findAll('[data-testid="committee-figures"] tbody tr')).toHaveLength(6) // 40..45
    await mounted.wrapper.find('input[data-testid="committee-search"], [data-testid="committee-search"] input').setValue('estate-45')
    await settle()
    expect(figureCalls()).toHaveLength(3)
    expect(mounted.wrapper.findAll('[data-testid="committee-figures"] tbody tr')).toHaveLength(1)
  })
})

describe('the comparison', () => {
  for (const locale of ['zh-CN', 'en'] as const) {
    it(`puts the estate beside the district median (${locale})`, async () => {
      const mounted = await open(`/committee/compare?period=${PERIOD}&estate=jinhe-lvzhou`, locale)
      expect(mounted.api.calls('GET tenant /v1/governance/estates/jinhe-lvzhou/comparison')).toEqual([
        expect.objectContaining({ query: { period: PERIOD } }),
      ])
      expect(cell(mounted, 'cmp-collection_rate_bps-value').text()).toBe('92.50%')
      expect(cell(mounted, 'cmp-collection_rate_bps-median').text()).toBe('90.00%')
      expect(cell(mounted, 'cmp-collection_rate_bps-difference').text()).toBe('+2.50%')
      expect(cell(mounted, 'cmp-surplus_fen-value').attributes('data-state')).toBe('suppressed')
      expect(cell(mounted, 'cmp-surplus_fen-median').text()).toBe('—')
      expect(cell(mounted, 'compare-head').text()).toContain('金河绿洲')
    })
  }
})

async function reportAnswer() {
  const name = 'xinyi.test/governance'
  const pair = (await crypto.subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify'])) as CryptoKeyPair
  const publicKey = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey))
  const id = await keyId(name, 1, publicKey)
  const vkey = `${name}+${id.toString(16).padStart(8, '0')}+${toBase64(concat(Uint8Array.of(1), publicKey))}`
  const report = {
    format: 'xinyi-governance-report/v1',
    district_code: 'shuangliu',
    period: PERIOD,
    issued_at: '2026-11-01T00:00:00Z',
    thresholds: { min_households: 20, min_ratings: 5 },
    district: districtRow,
    sub_districts: [],
    communities: [communityRow],
    estates: [{ ...estateRow, books_closed: true, checkpoint: { origin: 'x/jinhe-lvzhou', tree_size: 42, root_hash: 'ab', cosigned_by: ['w'] } }],
  }
  const digest = toHex(await sha256(utf8(canonicalJson(report))))
  const text = `xinyi-governance-report/v1\nshuangliu\n${PERIOD}\n2026-11-01T00:00:00Z\nsha256 ${digest}\n`
  const signature = new Uint8Array(await crypto.subtle.sign('Ed25519', pair.privateKey, utf8(text) as Uint8Array<ArrayBuffer>))
  const idBytes = Uint8Array.of(id >>> 24, (id >>> 16) & 255, (id >>> 8) & 255, id & 255)
  const note = `${text}\n\u2014 ${name} ${toBase64(concat(idBytes, signature))}\n`
  return { answer: { report, report_sha256: digest, signed_note: note, verifier_key: vkey }, vkey }
}

describe('the signed monthly report', () => {
  for (const locale of ['zh-CN', 'en'] as const) {
    it(`is verified in the page against the published key, and saved (${locale})`, async () => {
      const { answer, vkey } = await reportAnswer()
      const mounted = await open(`/committee/report?period=${PERIOD}`, locale, governanceApi({
        [`GET tenant /v1/governance/reports/${PERIOD}`]: answer,
        'GET tenant /v1/governance/report-key': { verifier_key: vkey },
      }))
      await settle()
      expect(cell(mounted, 'report-verified').attributes('data-verified')).toBe('true')
      expect(cell(mounted, 'report-verified').text()).toContain(answer.report_sha256)
      expect(cell(mounted, 'report-facts').text()).toContain('shuangliu')
      await mounted.wrapper.find('[data-testid="report-download"]').trigger('click')
      expect(saved[0]?.name).toBe(`governance-report-shuangliu-${PERIOD}.json`)
      expect(JSON.parse(await saved[0]!.blob.text())).toEqual(answer)
    })
  }

  it('says so when the report does not match its signature', async () => {
    const { answer, vkey } = await reportAnswer()
    const tampered = { ...answer, report: { ...answer.report, issued_at: '2026-11-02T00:00:00Z' } }
    const mounted = await open(`/committee/report?period=${PERIOD}`, 'zh-CN', governanceApi({
      [`GET tenant /v1/governance/reports/${PERIOD}`]: tampered,
      'GET tenant /v1/governance/report-key': { verifier_key: vkey },
    }))
    await settle()
    expect(cell(mounted, 'report-verified').attributes('data-verified')).toBe('false')
    expect(cell(mounted, 'report-verified').text()).toContain('摘要不一致')
  })
})
