/**
 * The supervisor section's pages mounted in the console with a fake API, strict i18n in both
 * languages, and its checks of the log against the verifier's own fixture (web/src/verify/).
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { Locale } from '@/i18n/format'
import fixture from '@/verify/fixture.json'
import { toHex, sha256 } from '@/verify/bytes'
import { ESTATE, fakeApi, mountConsole, refusal, settle, users, withTotal, type MountedConsole } from '../../test/mount'
import type { Expense, ExpenseDetail } from '../service/types'
import { checkCheckpoint, checkConsistency, keysOf } from './audit'
import { en, zhCN } from './messages'

const base = `/v1/estates/${ESTATE}`
const withConsistency = fixture.cases.find((c) => 'consistency' in c.bundle)!.bundle as {
  checkpoint: string
  consistency: { from_checkpoint: string; proof: string[] }
}
const logKey = {
  origin: 'ledger.xinyi.example/estates/jinhe-lvzhou',
  log_key: fixture.log_key,
  witness_keys: [{ witness_key: fixture.witness_key, name: 'supervisor', registered_at: '2026-01-01T00:00:00Z', retired_at: null }],
}

// Mounting the console the first time transforms Element Plus and the pages: slow on a busy machine.
vi.setConfig({ testTimeout: 60_000 })

let app: MountedConsole | undefined
afterEach(() => {
  expect(app?.problems ?? []).toEqual([])
  app?.wrapper.unmount()
  app = undefined
})
const WAIT = { timeout: 10_000, interval: 50 }
const byTestId = (id: string) => document.querySelector<HTMLElement>(`[data-testid="${id}"]`)

describe('the audit checks', () => {
  it('verifies a checkpoint’s signature and the witness’s cosignature, and refuses a forged one', async () => {
    const keys = await keysOf(logKey)
    const good = await checkCheckpoint(withConsistency.checkpoint, keys)
    expect(good.signed).toBe(true)
    expect(good.witnesses.map((w) => w.state)).toEqual(['cosigned'])
    const forged = withConsistency.checkpoint.replace(/\n\d+\n/, '\n31\n')
    const bad = await checkCheckpoint(forged, keys)
    expect(bad.signed).toBe(false)
    expect(bad.detail).toBeTruthy()
  })

  it('verifies a consistency proof between two checkpoints, and refuses a tampered proof', async () => {
    const keys = await keysOf(logKey)
    const bundle = {
      format: 'xinyi-consistency/v1',
      old: withConsistency.consistency.from_checkpoint,
      new: withConsistency.checkpoint,
      proof: withConsistency.consistency.proof,
    }
    expect(await checkConsistency(bundle, keys)).toMatchObject({ ok: true, from: 12, to: 30 })
    const tampered = { ...bundle, proof: [...bundle.proof].reverse() }
    expect((await checkConsistency(tampered, keys)).ok).toBe(false)
  })

  it('has the same keys in both catalogues', () => {
    const keys = (o: object, prefix = ''): string[] =>
      Object.entries(o).flatMap(([k, v]) => (typeof v === 'object' ? keys(v, `${prefix}${k}.`) : [`${prefix}${k}`]))
    expect(keys(en).sort()).toEqual(keys(zhCN).sort())
  })
})

const pdfBytes = new TextEncoder().encode('%PDF-1.4 a voucher')

async function detail(): Promise<ExpenseDetail> {
  const sha = toHex(await sha256(pdfBytes))
  return {
    id: 'e1', number: 9, status: 'proposed', payee: '安达电梯', amount_fen: 123456, account: '5600', description: '门机维修',
    year: 2026, needs: 'none', ballot_subject: null, ballot_id: null, proposed_by: 'firm-manager',
    proposed_at: '2026-11-02T00:00:00Z', decided_at: null, reason: null, booking_transaction_id: null,
    payment_transaction_id: null, ticket_id: null,
    vouchers: [
      { sha256: sha, size: pdfBytes.length, media_type: 'application/pdf', file_name: 'invoice.pdf' },
      { sha256: 'cd'.repeat(32), size: 10, media_type: 'image/png', file_name: 'photo.png' },
    ],
    history: [{ action: 'proposed', status: 'proposed', by: 'firm-manager', reason: null, at: '2026-11-02T00:00:00Z' }],
    questions: [],
  }
}

describe.each<Locale>(['zh-CN', 'en'])('the approvals page (%s)', (locale) => {
  it('shows the vouchers side by side, checked against their hash, and shows the ledger’s refusal', async () => {
    const expense = await detail()
    const api = fakeApi({
      [`GET ledger ${base}/expenses`]: [expense as Expense],
      [`GET ledger ${base}/expenses/e1`]: expense,
      [`GET ledger ${base}/vouchers/${expense.vouchers[0]!.sha256}`]: new Blob([pdfBytes], { type: 'application/pdf' }),
      [`GET ledger ${base}/vouchers/${'cd'.repeat(32)}`]: new Blob(['not the png'], { type: 'image/png' }),
      [`POST ledger ${base}/expenses/e1/approve`]: refusal(403, 'the proposer of an expense can never approve or reject it', 'permission_denied'),
      [`POST ledger ${base}/expenses/e1/reject`]: { ...expense, status: 'rejected', reason: '发票不符' },
    })
    app = await mountConsole(`/estates/${ESTATE}/supervisor`, { api, locale, user: users.supervisor })
    expect(api.calls(`GET ledger ${base}/expenses`)[0]!.query).toMatchObject({ status: 'proposed', limit: 20 })
    await app.wrapper.find('[data-testid="review-9"]').trigger('click')
    await vi.waitFor(() => expect(document.querySelector('[data-testid="voucher-preview"][data-state="loaded"]')).not.toBeNull(), WAIT)
    await settle()
    const previews = document.querySelectorAll<HTMLElement>('[data-testid="voucher-preview"]')
    expect(previews).toHaveLength(2)
    expect(previews[0]!.dataset.state).toBe('loaded')
    expect(previews[0]!.dataset.verified).toBe('true')
    expect(previews[0]!.querySelector('iframe[data-testid="voucher-pdf"]')).not.toBeNull()
    expect(previews[1]!.dataset.verified).toBe('false')
    expect(previews[1]!.querySelector('img[data-testid="voucher-image"]')).not.toBeNull()

    await app.wrapper.find('[data-testid="approve"]').trigger('click')
    await settle()
    expect(byTestId('decision-error')?.textContent).toContain('the proposer of an expense can never approve or reject it')

    // A rejection needs a reason: none typed, nothing sent.
    await app.wrapper.find('[data-testid="reject"]').trigger('click')
    await settle()
    expect(byTestId('reason-missing')).not.toBeNull()
    expect(api.calls(`POST ledger ${base}/expenses/e1/reject`)).toHaveLength(0)
    await app.wrapper.find('[data-testid="reject-reason"]').setValue('发票不符')
    await app.wrapper.find('[data-testid="reject"]').trigger('click')
    await settle()
    expect(api.calls(`POST ledger ${base}/expenses/e1/reject`)[0]!.body).toEqual({ reason: '发票不符' })
  })
})

describe.each<Locale>(['zh-CN', 'en'])('ballots and audit (%s)', (locale) => {
  it('lists ballots with their turnout and closes one early', async () => {
    const summary = {
      id: 'b1', kind: 'general', subject: 'budget:d1', question: '选择方案', opens_at: '2026-11-01T00:00:00Z',
      closes_at: '2099-01-01T00:00:00Z', closed_at: null,
    }
    const api = fakeApi({
      [`GET tenant ${base}/ballots`]: [summary],
      [`GET tenant ${base}/ballots/b1`]: {
        ...summary, options: ['甲', '乙'], quorum_bps: 5000, threshold: 'simple_majority', threshold_base: 'votes_cast',
        status: 'open', electorate_size: 3, votes_cast: 2, own_votes: {}, result: null,
      },
      [`POST tenant ${base}/ballots/b1/close`]: refusal(409, 'the ballot is already closed'),
    })
    app = await mountConsole(`/estates/${ESTATE}/supervisor/ballots`, { api, locale, user: users.supervisor })
    expect(byTestId('turnout-b1')?.textContent).toContain('2 / 3 (66.66%)')
    expect(api.calls(`GET tenant ${base}/ballots`)[0]!.query).toEqual({ limit: 10, offset: 0 })
    await app.wrapper.find('[data-testid="ballots-table"] .el-button--warning').trigger('click')
    await settle()
    expect(api.calls(`POST tenant ${base}/ballots/b1/close`)[0]!.body).toEqual({ early: true })
    expect(byTestId('close-error')?.textContent).toContain('the ballot is already closed')
  })

  it('verifies the checkpoints in the browser and shows their cosigning', async () => {
    const api = fakeApi({
      [`GET ledger ${base}/log/key`]: logKey,
      [`GET ledger ${base}/log/checkpoints`]: [
        { tree_size: 12, period: '2026-01', note: withConsistency.consistency.from_checkpoint, published_at: '2026-02-01T00:00:00Z', cosigned: false, cosignatures: [] },
        { tree_size: 30, period: '2026-02', note: withConsistency.checkpoint, published_at: '2026-03-01T00:00:00Z', cosigned: true, cosignatures: [{ witness_key: fixture.witness_key, cosigned_at: '2026-03-01T00:00:00Z' }] },
      ],
      [`GET ledger ${base}/log/consistency`]: {
        format: 'xinyi-consistency/v1', old: withConsistency.consistency.from_checkpoint, new: withConsistency.checkpoint, proof: withConsistency.consistency.proof,
      },
    })
    app = await mountConsole(`/estates/${ESTATE}/supervisor/audit`, { api, locale, user: users.supervisor })
    await vi.waitFor(() => expect(byTestId('signature-30')?.dataset.verified).toBe('true'), WAIT)
    await vi.waitFor(() => expect(byTestId('signature-12')?.dataset.verified).toBe('true'), WAIT)
    expect(byTestId('signature-12')?.dataset.verified).toBe('true')
    expect(byTestId('cosigned-30')?.dataset.cosigned).toBe('true')
    expect(byTestId('cosigned-12')?.dataset.cosigned).toBe('false')
    await app.wrapper.find('[data-testid="prove"]').trigger('click')
    await settle()
    expect(api.calls(`GET ledger ${base}/log/consistency`)[0]!.query).toEqual({ from: 12, to: 30 })
    await vi.waitFor(() => expect(byTestId('consistency-result')?.dataset.ok).toBe('true'), WAIT)
  })

  it('asks the server for a page of ballots at a time, the total from its header', async () => {
    const summary = (i: number) => ({
      id: `b${i}`, kind: 'general', subject: '', question: `问题 ${i}`, opens_at: '2026-11-01T00:00:00Z',
      closes_at: '2026-11-02T00:00:00Z', closed_at: '2026-11-02T00:00:00Z',
    })
    const detail = ({ path }: { path: string }) => ({
      ...summary(Number(path.split('/b').pop())), options: ['甲'], quorum_bps: 0, threshold: 'simple_majority', threshold_base: 'votes_cast',
      status: 'closed', electorate_size: 0, votes_cast: 0, own_votes: {}, result: null,
    })
    const routes: Parameters<typeof fakeApi>[0] = {
      [`GET tenant ${base}/ballots`]: ({ query }) => {
        const offset = Number(query?.offset)
        return withTotal(Array.from({ length: 10 }, (_, i) => summary(offset + i + 1)), 33)
      },
    }
    for (let i = 1; i <= 20; i++) routes[`GET tenant ${base}/ballots/b${i}`] = detail
    const api = fakeApi(routes)
    app = await mountConsole(`/estates/${ESTATE}/supervisor/ballots`, { api, locale, user: users.supervisor })
    expect(app.wrapper.find('[data-testid="ballots-pages"]').text()).toContain('33')
    expect(app.wrapper.find('[data-testid="ballots-table"]').text()).toContain('问题 1')
    await app.wrapper.find('[data-testid="ballots-pages"] .btn-next').trigger('click')
    await settle()
    expect(api.calls(`GET tenant ${base}/ballots`).map((c) => c.query)).toEqual([
      { limit: 10, offset: 0 },
      { limit: 10, offset: 10 },
    ])
    expect(app.wrapper.find('[data-testid="ballots-table"]').text()).toContain('问题 11')
    expect(byTestId('turnout-b11')).toBeTruthy()
  })

  it('shows the newest checkpoints first, asking the server only for the window of the page', async () => {
    const checkpoint = (size: number) => ({
      tree_size: size, period: '2026-01', note: withConsistency.checkpoint, published_at: '2026-02-01T00:00:00Z', cosigned: false, cosignatures: [],
    })
    // 23 checkpoints, oldest first on the server (tree sizes 1..23).
    const api = fakeApi({
      [`GET ledger ${base}/log/key`]: logKey,
      [`GET ledger ${base}/log/checkpoints`]: ({ query }) => {
        const offset = Number(query?.offset)
        const limit = Number(query?.limit)
        return withTotal(Array.from({ length: Math.max(0, Math.min(limit, 23 - offset)) }, (_, i) => checkpoint(offset + i + 1)), 23)
      },
    })
    app = await mountConsole(`/estates/${ESTATE}/supervisor/audit`, { api, locale, user: users.supervisor })
    const rows = () => app!.wrapper.findAll('[data-testid="checkpoints-table"] tbody tr').map((r) => Number(r.find('td').text()))
    expect(rows()).toEqual([23, 22, 21, 20, 19, 18, 17, 16, 15, 14])
    expect(app.wrapper.find('[data-testid="checkpoints-pages"]').text()).toContain('23')
    const pages = app.wrapper.find('[data-testid="checkpoints-pages"]')
    await pages.find('.btn-next').trigger('click')
    await settle()
    await pages.find('.btn-next').trigger('click')
    await settle()
    expect(rows()).toEqual([3, 2, 1])
    expect(api.calls(`GET ledger ${base}/log/checkpoints`).map((c) => c.query)).toEqual([
      { limit: 1, offset: 0 }, // learns the total
      { limit: 10, offset: 13 },
      { limit: 10, offset: 3 },
      { limit: 3, offset: 0 },
    ])
  })
})
