/**
 * Assigning a ticket in the console: the picker offers the firm's accounts of the estate (tenant
 * GET /staff), the queue names them instead of account ids, and the API's refusal is shown with the
 * choice kept. Both languages, strict i18n.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { Locale } from '@/i18n/format'
import { ESTATE, fakeApi, mountConsole, refusal, settle, type MountedConsole } from '../../test/mount'
import { staffLabel, type StaffAccount } from './staff'
import type { Ticket } from './types'

vi.setConfig({ testTimeout: 60_000 })

const base = `/v1/estates/${ESTATE}`
const STAFF: StaffAccount[] = [
  { account_id: 'u-li', username: 'li.staff', display_name: '李师傅', roles: ['firm_staff'] },
  { account_id: 'u-wang', username: 'wang.manager', display_name: '王经理', roles: ['firm_manager'] },
  { account_id: 'u-zhao', username: 'zhao.staff', display_name: 'zhao.staff', roles: ['firm_staff'] },
]

const ticket = (over: Partial<Ticket> = {}): Ticket => ({
  id: 't1', estate_code: ESTATE, view: 'staff', category: 'elevator', urgency: 'urgent', status: 'open', visibility: 'private',
  area: null, grid_code: null, description: '电梯困人', photos: [], household_id: 'h1', reporter_kind: 'resident',
  assignee: 'u-li', reported_at: '2026-11-30T00:00:00Z', first_response_due_at: new Date(Date.now() + 600_000).toISOString(),
  resolution_due_at: new Date(Date.now() + 4_200_000).toISOString(), acknowledged_at: null, resolved_at: null,
  closed_at: null, withdrawn_at: null, reopen_count: 0, resolution_note: null, breaches: [], escalation_level: null,
  complaint: false, materials_fen: 0, version: 1, ...over,
})

let app: MountedConsole | undefined
afterEach(() => {
  expect(app?.problems ?? []).toEqual([])
  app?.wrapper.unmount()
  app = undefined
})

describe('staffLabel', () => {
  it('names an account by display name and username, and shows an unknown id as it is', () => {
    expect(staffLabel(STAFF, 'u-wang')).toBe('王经理 (wang.manager)')
    expect(staffLabel(STAFF, 'u-zhao')).toBe('zhao.staff')
    expect(staffLabel(STAFF, 'u-gone')).toBe('u-gone')
    expect(staffLabel(STAFF, null)).toBe('—')
  })
})

describe.each<Locale>(['zh-CN', 'en'])('assigning a ticket (%s)', (locale) => {
  it('offers the firm, names the assignee, posts the account id and keeps the choice when refused', async () => {
    let refuse = true
    const api = fakeApi({
      [`GET ticketing ${base}/tickets`]: { tickets: [ticket()], next_before: null },
      [`GET ticketing ${base}/tickets/t1`]: { ticket: ticket(), history: [], materials: [] },
      [`GET tenant ${base}/staff`]: STAFF,
      [`POST ticketing ${base}/tickets/t1/assign`]: () =>
        refuse ? refusal(403, 'a staff member may only take an unassigned ticket; the manager reassigns') : ticket({ assignee: 'u-wang' }),
    })
    app = await mountConsole(`/estates/${ESTATE}/service/tickets`, { api, locale })
    expect(api.calls(`GET tenant ${base}/staff`)).toHaveLength(1)
    expect(app.wrapper.find('[data-testid="tickets-table"]').text()).toContain('李师傅 (li.staff)')
    expect(app.wrapper.find('[data-testid="tickets-table"]').text()).not.toContain('u-li')

    await app.wrapper.find('[data-testid="tickets-table"] tbody tr').trigger('click')
    await settle()
    const select = app.wrapper
      .findAllComponents({ name: 'ElSelect' })
      .find((candidate) => candidate.attributes('data-testid') === 'assignee-select')!
    const options = select.findAllComponents({ name: 'ElOption' }).map((option) => option.props('value'))
    expect(options).toEqual(['u-li', 'u-wang', 'u-zhao'])
    select.vm.$emit('update:modelValue', 'u-wang')
    await settle()
    const assign = () => app!.wrapper.find('[data-testid="assign"]')
    await assign().trigger('click')
    await settle()
    expect(api.calls(`POST ticketing ${base}/tickets/t1/assign`)[0]!.body).toEqual({ assignee: 'u-wang', note: '' })
    expect(document.querySelector('[data-testid="ticket-step-error"]')?.textContent).toContain('the manager reassigns')
    expect(select.props('modelValue')).toBe('u-wang') // kept, to try again

    refuse = false
    await assign().trigger('click')
    await settle()
    expect(api.calls(`POST ticketing ${base}/tickets/t1/assign`)).toHaveLength(2)
    expect(document.querySelector('[data-testid="ticket-step-error"]')).toBeNull()
  })

  it('says why the picker is empty when the staff cannot be listed', async () => {
    const api = fakeApi({
      [`GET ticketing ${base}/tickets`]: { tickets: [ticket({ assignee: null })], next_before: null },
      [`GET ticketing ${base}/tickets/t1`]: { ticket: ticket({ assignee: null }), history: [], materials: [] },
      [`GET tenant ${base}/staff`]: refusal(503, 'the identity provider is unreachable; retry the request', 'unavailable'),
    })
    app = await mountConsole(`/estates/${ESTATE}/service/tickets`, { api, locale })
    await app.wrapper.find('[data-testid="tickets-table"] tbody tr').trigger('click')
    await settle()
    expect(document.querySelector('[data-testid="staff-error"]')?.textContent).toContain('identity provider is unreachable')
  })
})
