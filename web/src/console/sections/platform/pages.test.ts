/** The platform team's pages with a fake registry API, in both languages (strict i18n). */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { DOMWrapper, type VueWrapper } from '@vue/test-utils'
import { fakeApi, mountConsole, refusal, settle, users, withTotal, type MountedConsole } from '../../test/mount'
import type { DistrictNode, EstatePublic, RulesView } from './types'
import { fenRateAsYuan } from './api'

const hierarchy: DistrictNode[] = [
  {
    code: 'shuangliu',
    name: '双流区',
    sub_districts: [
      {
        code: 'dongsheng',
        name: '东升街道',
        communities: [
          { code: 'jinhe', name: '金河社区', estates: [{ code: 'jinhe-lvzhou', name: '金河绿洲', status: 'active' }] },
        ],
      },
    ],
  },
]

function estate(code: string, overrides: Partial<EstatePublic> = {}): EstatePublic {
  return {
    code,
    name: `小区 ${code}`,
    district_code: 'shuangliu',
    sub_district_code: 'dongsheng',
    community_code: 'jinhe',
    fee_rate_fen_per_sqm_month: '35',
    remuneration_share_bps: 1500,
    donation_share_bps: 3000,
    remuneration_basis: 'collected',
    billing_day: 1,
    time_zone: 'Asia/Shanghai',
    firm_name: '金河物业',
    status: 'active',
    books_from: null,
    ...overrides,
  }
}

const rules: RulesView = {
  in_force: {
    fee_rate_fen_per_sqm_month: '35',
    remuneration_share_bps: 1500,
    donation_share_bps: 3000,
    remuneration_basis: 'collected',
    billing_day: 1,
  },
  history: [
    {
      effective_from: '2026-01-01',
      rules: {
        fee_rate_fen_per_sqm_month: '35',
        remuneration_share_bps: 1500,
        donation_share_bps: 3000,
        remuneration_basis: 'collected',
        billing_day: 1,
      },
      previous: null,
      reason: 'onboarded',
      changed_by: 'platform-admin',
      changed_at: '2026-01-01T02:00:00Z',
    },
  ],
}

const admin = { user: users.platformAdmin }

function input(wrapper: VueWrapper | DOMWrapper<Element>, testid: string): DOMWrapper<Element> {
  const found = wrapper.find(`[data-testid="${testid}"]`)
  const tag = found.element.tagName
  return tag === 'INPUT' || tag === 'TEXTAREA' ? found : found.find('input, textarea')
}

describe('the platform pages', () => {
  let app: MountedConsole | undefined
  afterEach(() => {
    expect(app?.problems).toEqual([])
    app?.wrapper.unmount()
    app = undefined
  })

  it('list the estates a page of 20 at a time from the server, with the search on the server', async () => {
    const estates = Array.from({ length: 25 }, (_, i) => estate(`estate-${String(i + 1).padStart(2, '0')}`))
    // The registry pages and searches (q: a part of the code or name, any case); the total in X-Total-Count.
    const api = fakeApi({
      'GET tenant /v1/estates': ({ query }) => {
        const q = String(query?.q ?? '').toLowerCase()
        const found = estates.filter((e) => !q || e.code.includes(q) || e.name.toLowerCase().includes(q))
        const offset = Number(query?.offset)
        return withTotal(found.slice(offset, offset + Number(query?.limit)), found.length + 1000)
      },
    })
    app = await mountConsole('/platform', { ...admin, api })
    expect(app.router.currentRoute.value.name).toBe('platform-estates')
    const table = () => app!.wrapper.find('[data-testid=platform-estates-table]')
    const calls = () => api.calls('GET tenant /v1/estates').map((c) => c.query)
    expect(calls()).toEqual([{ q: undefined, district: undefined, sub_district: undefined, community: undefined, limit: 20, offset: 0 }])
    expect(table().text()).toContain('estate-01')
    expect(table().text()).not.toContain('estate-21')
    // The total is the header's, not the page's length.
    expect(app.wrapper.find('[data-testid=platform-estates-pages]').text()).toContain('1025')
    await app.wrapper.find('.el-pagination .btn-next').trigger('click')
    await settle()
    expect(calls()[1]).toMatchObject({ limit: 20, offset: 20 })
    expect(table().text()).toContain('estate-25')
    expect(table().text()).not.toContain('estate-01')
    await input(app.wrapper, 'platform-estates-search').setValue('ESTATE-07 ')
    await new Promise((resolve) => setTimeout(resolve, 350)) // typing pauses
    await settle()
    expect(calls()).toHaveLength(3)
    expect(calls()[2]).toMatchObject({ q: 'ESTATE-07', limit: 20, offset: 0 }) // from the first page
    expect(table().findAll('tbody tr')).toHaveLength(1)
    expect(table().text()).toContain('运行中')
  })

  it('search once typing pauses, not at every key', async () => {
    const api = fakeApi({ 'GET tenant /v1/estates': withTotal([estate('a')], 1) })
    app = await mountConsole('/platform', { ...admin, api, locale: 'en' })
    for (const typed of ['l', 'lv', 'lvz']) await input(app.wrapper, 'platform-estates-search').setValue(typed)
    await settle()
    expect(api.calls('GET tenant /v1/estates')).toHaveLength(1)
    await new Promise((resolve) => setTimeout(resolve, 350))
    await settle()
    expect(api.calls('GET tenant /v1/estates').map((c) => c.query?.q)).toEqual([undefined, 'lvz'])
  })

  it('say why the list did not load', async () => {
    app = await mountConsole('/platform', { ...admin, api: fakeApi({ 'GET tenant /v1/estates': refusal(503, 'registry down', 'unavailable') }) })
    expect(app.wrapper.text()).toContain('registry down')
  })

  it('onboard an estate with the rules typed', async () => {
    const api = fakeApi({
      'GET tenant /v1/hierarchy': hierarchy,
      'POST tenant /v1/estates': ({ body }) => ({ ...estate('new-estate'), ...(body as object), initial_passwords: {} }),
    })
    app = await mountConsole('/platform/onboard', { ...admin, api })
    const w = app.wrapper
    await input(w, 'onboard-code').setValue('new-estate')
    await input(w, 'onboard-name').setValue('新小区')
    const selects = w.findAllComponents({ name: 'ElSelect' }).filter((s) => s.attributes('data-testid')?.startsWith('onboard-') || s.find('[data-testid^=onboard-]').exists())
    expect(selects.length).toBeGreaterThanOrEqual(3)
    selects[0]!.vm.$emit('update:modelValue', 'shuangliu')
    await settle()
    selects[1]!.vm.$emit('update:modelValue', 'dongsheng')
    await settle()
    selects[2]!.vm.$emit('update:modelValue', 'jinhe')
    await settle()
    await input(w, 'onboard-firm').setValue('新物业')
    await input(w, 'onboard-fee-rate').setValue('42.5')
    expect(w.find('[data-testid=onboard-fee-yuan]').text()).toContain('¥0.425')
    const numbers = w.findAllComponents({ name: 'ElInputNumber' })
    numbers[0]!.vm.$emit('update:modelValue', 12.5)
    numbers[1]!.vm.$emit('update:modelValue', 20)
    await settle()
    await w.find('[data-testid=onboard-form]').trigger('submit')
    await settle()
    const calls = api.calls('POST tenant /v1/estates')
    expect(calls).toHaveLength(1)
    expect(calls[0]!.body).toMatchObject({
      code: 'new-estate',
      name: '新小区',
      district_code: 'shuangliu',
      sub_district_code: 'dongsheng',
      community_code: 'jinhe',
      firm_name: '新物业',
      fee_rate_fen_per_sqm_month: '42.5',
      remuneration_share_bps: 1250,
      donation_share_bps: 2000,
      remuneration_basis: 'collected',
      billing_day: 1,
      books_from: null,
      firm_manager: null,
    })
    expect(w.find('[data-testid=onboard-done]').text()).toContain('新小区')
  })

  it('keep what was typed when onboarding is refused, and say why', async () => {
    const api = fakeApi({
      'GET tenant /v1/hierarchy': hierarchy,
      'POST tenant /v1/estates': refusal(409, "estate code 'jinhe-lvzhou' is taken by other details"),
    })
    app = await mountConsole('/platform/onboard', { ...admin, api, locale: 'en' })
    const w = app.wrapper
    await input(w, 'onboard-code').setValue('jinhe-lvzhou')
    await input(w, 'onboard-name').setValue('Another')
    const selects = w.findAllComponents({ name: 'ElSelect' })
    selects[0]!.vm.$emit('update:modelValue', 'shuangliu')
    await settle()
    selects[1]!.vm.$emit('update:modelValue', 'dongsheng')
    await settle()
    selects[2]!.vm.$emit('update:modelValue', 'jinhe')
    await settle()
    await w.find('[data-testid=onboard-form]').trigger('submit')
    await settle()
    expect(api.calls('POST tenant /v1/estates')).toHaveLength(1)
    expect(w.find('[data-testid=onboard-error]').text()).toContain("estate code 'jinhe-lvzhou' is taken by other details")
    expect((input(w, 'onboard-code').element as HTMLInputElement).value).toBe('jinhe-lvzhou')
    expect((input(w, 'onboard-name').element as HTMLInputElement).value).toBe('Another')
    expect(w.find('[data-testid=onboard-done]').exists()).toBe(false)
  })

  it('refuse a malformed code before asking the API', async () => {
    const api = fakeApi({ 'GET tenant /v1/hierarchy': hierarchy })
    app = await mountConsole('/platform/onboard', { ...admin, api })
    await input(app.wrapper, 'onboard-code').setValue('Bad Code')
    await app.wrapper.find('[data-testid=onboard-form]').trigger('submit')
    await settle()
    expect(api.calls('POST tenant /v1/estates')).toHaveLength(0)
    await vi.waitFor(() =>
      expect(app!.wrapper.find('[data-testid=onboard-form] .el-form-item__error').text()).toContain('编码只能由小写字母'),
    )
  })

  it("show an estate's rules and their history, and change them from a coming month", async () => {
    const api = fakeApi({
      'GET tenant /v1/estates/jinhe-lvzhou': estate('jinhe-lvzhou'),
      'GET tenant /v1/estates/jinhe-lvzhou/rules': rules,
      'POST tenant /v1/estates/jinhe-lvzhou/rules': refusal(422, 'rules change from a coming month only'),
    })
    app = await mountConsole('/platform/estates/jinhe-lvzhou', { ...admin, api })
    const w = app.wrapper
    expect(w.find('[data-testid=rules-in-force]').text()).toContain('35 分/㎡·月（¥0.35）')
    expect(w.find('[data-testid=rules-in-force]').text()).toContain('15.00%')
    expect(w.find('[data-testid=rules-history]').text()).toContain('onboarded')
    await w.find('[data-testid=rules-change-open]').trigger('click')
    await settle()
    const picker = w.findAllComponents({ name: 'ElDatePicker' }).at(-1)!
    picker.vm.$emit('update:modelValue', '2020-01')
    await input(new DOMWrapper(document.body), 'rules-reason').setValue('owners resolution 7')
    await settle()
    const save = document.querySelector('[data-testid=rules-save]') as HTMLButtonElement
    save.click()
    await settle()
    const calls = api.calls('POST tenant /v1/estates/jinhe-lvzhou/rules')
    expect(calls).toHaveLength(1)
    expect(calls[0]!.body).toMatchObject({ effective_from: '2020-01-01', fee_rate_fen_per_sqm_month: '35', remuneration_share_bps: 1500, reason: 'owners resolution 7' })
    expect(document.querySelector('[data-testid=rules-error]')?.textContent).toContain('rules change from a coming month only')
  })

  it('offboard a suspended estate only with its code typed, the archive named and kept', async () => {
    const sha = 'a'.repeat(64)
    const api = fakeApi({
      'GET tenant /v1/estates/old-estate': estate('old-estate', { status: 'suspended' }),
      'GET tenant /v1/estates/old-estate/rules': rules,
      'POST tenant /v1/estates/old-estate/export': { id: 'arch-1', sha256: sha, size_bytes: 2048, download: '/v1/estates/old-estate/archives/arch-1' },
      'POST tenant /v1/estates/old-estate/offboard': estate('old-estate', { status: 'offboarded' }),
    })
    app = await mountConsole('/platform/estates/old-estate', { ...admin, api, locale: 'en' })
    const w = app.wrapper
    await w.find('[data-testid=export]').trigger('click')
    await settle()
    expect(w.find('[data-testid=archive-sha]').text()).toBe(sha)
    await w.find('[data-testid=offboard-open]').trigger('click')
    await settle()
    const confirm = () => document.querySelector('[data-testid=offboard-confirm]') as HTMLButtonElement
    expect(confirm().disabled).toBe(true)
    const body = new DOMWrapper(document.body)
    await input(body, 'offboard-code').setValue('old-estat')
    ;(document.querySelector('[data-testid=offboard-kept]') as HTMLElement).click()
    await settle()
    expect(confirm().disabled).toBe(true)
    await input(body, 'offboard-code').setValue('old-estate')
    await settle()
    expect(confirm().disabled).toBe(false)
    confirm().click()
    await settle()
    expect(api.calls('POST tenant /v1/estates/old-estate/offboard')[0]!.body).toEqual({ archive_sha256: sha })
    expect(w.find('[data-testid=estate-status]').text()).toBe('Offboarded')
  })

  it('show the hierarchy and register a district', async () => {
    const api = fakeApi({
      'GET tenant /v1/hierarchy': hierarchy,
      'POST tenant /v1/districts': ({ body }) => body,
    })
    app = await mountConsole('/platform/hierarchy', { ...admin, api })
    const tree = app.wrapper.find('[data-testid=hierarchy-tree]')
    expect(tree.text()).toContain('双流区')
    // Districts open at first; the sub-district and the community open on demand.
    for (const level of [1, 2]) {
      await tree.findAll('.el-tree-node__expand-icon')[level]!.trigger('click')
      await settle()
    }
    expect(tree.text()).toContain('金河绿洲')
    await app.wrapper.find('[data-testid=hierarchy-add-district]').trigger('click')
    await settle()
    const body = new DOMWrapper(document.body)
    await input(body, 'hierarchy-code').setValue('wenjiang')
    await input(body, 'hierarchy-name').setValue('温江区')
    ;(document.querySelector('[data-testid=hierarchy-save]') as HTMLButtonElement).click()
    await settle()
    expect(api.calls('POST tenant /v1/districts')[0]!.body).toEqual({ code: 'wenjiang', name: '温江区' })
    expect(api.calls('GET tenant /v1/hierarchy')).toHaveLength(2)
  })

  it('are the platform team’s only', async () => {
    app = await mountConsole('/platform/onboard', { user: users.firmManager })
    expect(app.router.currentRoute.value.name).toBe('forbidden')
    expect(app.api.log).toEqual([])
  })
})

describe('fee rates', () => {
  it('are shown in yuan exactly', () => {
    expect(fenRateAsYuan('35')).toBe('0.35')
    expect(fenRateAsYuan('42.5')).toBe('0.425')
    expect(fenRateAsYuan('150')).toBe('1.50')
    expect(fenRateAsYuan('0.0001')).toBe('0.000001')
  })
})
