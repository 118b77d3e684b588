import { describe, expect, it, vi } from 'vitest'
import { allPages, createApiClient, createPagedApiClient, path } from './client'
import { endpoints } from './endpoints'
import { ApiError } from './errors'

function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } })
}

function client(response: Response | Error, token: string | null = 'tok') {
  const fetchFn = vi.fn(async (_url: string, _init?: RequestInit) => {
    if (response instanceof Error) throw response
    return response.clone()
  })
  const onUnauthorized = vi.fn()
  const api = createApiClient({ getToken: async () => token, onUnauthorized, fetch: fetchFn as unknown as typeof fetch })
  return { api, fetchFn, onUnauthorized }
}

describe('the API client', () => {
  it('calls /api/<service>/… on the same origin with the bearer token', async () => {
    const { api, fetchFn } = client(json({ ok: true }))
    await expect(api.get('ledger', '/v1/estates/jinhe-lvzhou/statements/2026-11')).resolves.toEqual({ ok: true })
    const [url, init] = fetchFn.mock.calls[0]!
    expect(new URL(url).pathname).toBe('/api/ledger/v1/estates/jinhe-lvzhou/statements/2026-11')
    expect(new URL(url).origin).toBe(window.location.origin)
    expect((init!.headers as Record<string, string>).Authorization).toBe('Bearer tok')
    expect(init!.credentials).toBe('omit')
  })

  it('sends no Authorization header without a token', async () => {
    const { api, fetchFn } = client(json({}), null)
    await api.get('tenant', '/v1/estates/x')
    expect((fetchFn.mock.calls[0]![1]!.headers as Record<string, string>).Authorization).toBeUndefined()
  })

  it('sends JSON bodies and query parameters', async () => {
    const { api, fetchFn } = client(json({ id: 1 }, 201))
    await api.request('ticketing', '/v1/estates/e/tickets', { method: 'POST', body: { title: '楼道灯坏了' }, query: { a: 1, b: undefined } })
    const [url, init] = fetchFn.mock.calls[0]!
    expect(new URL(url).search).toBe('?a=1')
    expect(init!.method).toBe('POST')
    expect(init!.body).toBe(JSON.stringify({ title: '楼道灯坏了' }))
    expect((init!.headers as Record<string, string>)['Content-Type']).toBe('application/json')
  })

  it('sends extra headers (an idempotency key) but never lets them replace the token', async () => {
    const { api, fetchFn } = client(json({}, 201))
    await api.request('ledger', '/v1/estates/e/payments', {
      method: 'POST',
      body: {},
      headers: { 'Idempotency-Key': 'k-1', Authorization: 'Bearer forged' },
    })
    const headers = fetchFn.mock.calls[0]![1]!.headers as Record<string, string>
    expect(headers['Idempotency-Key']).toBe('k-1')
    expect(headers.Authorization).toBe('Bearer tok')
  })

  it("keeps a refusal's other fields (a household file's refused rows) beside its reason", async () => {
    const rows = [{ line: 3, column: '面积', reason: 'not a number' }]
    const { api } = client(json({ error: 'invalid_input', reason: '1 problem', request_id: 'r', row_errors: rows }, 422))
    const error = await api.get('tenant', '/v1/x').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ApiError)
    expect((error as ApiError).reason).toBe('1 problem')
    expect((error as ApiError).details).toEqual({ row_errors: rows })
  })

  it('encodes what is put into a path', () => {
    expect(path`/v1/estates/${'a/../b'}/budgets/${2026}`).toBe('/v1/estates/a%2F..%2Fb/budgets/2026')
  })

  it("turns an error answer into an ApiError with the API's reason", async () => {
    const { api } = client(
      json({ error: 'not_found', reason: 'no budget adopted for 2027', request_id: 'r-1' }, 404),
    )
    const error = await api.get('ledger', '/v1/estates/e/budgets/2027').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ApiError)
    expect(error).toMatchObject({ status: 404, code: 'not_found', reason: 'no budget adopted for 2027', requestId: 'r-1' })
    expect((error as ApiError).isNotFound).toBe(true)
  })

  it('keeps the status of an answer that is not the platform JSON', async () => {
    const { api } = client(new Response('<html>bad gateway</html>', { status: 502, statusText: 'Bad Gateway', headers: { 'x-request-id': 'r-2' } }))
    await expect(api.get('ledger', '/x')).rejects.toMatchObject({ status: 502, code: 'http_502', reason: 'Bad Gateway', requestId: 'r-2' })
  })

  it('sends the user back to log-in on 401', async () => {
    const { api, onUnauthorized } = client(json({ error: 'unauthenticated', reason: 'token expired' }, 401))
    await expect(api.get('tenant', '/v1/estates/e')).rejects.toMatchObject({ status: 401 })
    expect(onUnauthorized).toHaveBeenCalledOnce()
  })

  it('does not log out on 403', async () => {
    const { api, onUnauthorized } = client(json({ error: 'permission_denied', reason: 'the token is not scoped to this estate' }, 403))
    await expect(api.get('tenant', '/v1/estates/e')).rejects.toMatchObject({ reason: 'the token is not scoped to this estate' })
    expect(onUnauthorized).not.toHaveBeenCalled()
  })

  it('reports a failed connection as a network error', async () => {
    const { api } = client(new TypeError('Failed to fetch'))
    const error = (await api.get('tenant', '/v1/estates/e').catch((e: unknown) => e)) as ApiError
    expect(error.isNetwork).toBe(true)
    expect(error.code).toBe('network')
  })

  it('types the routes the pages call', async () => {
    const { api, fetchFn } = client(json([]))
    await endpoints(api).tenant.myHouseholds('jinhe-lvzhou')
    await endpoints(api).ledger.householdAccount('jinhe-lvzhou', 'h-1')
    await endpoints(api).ledger.budget('jinhe-lvzhou', 2026)
    expect(fetchFn.mock.calls.map(([url]) => new URL(url).pathname)).toEqual([
      '/api/tenant/v1/estates/jinhe-lvzhou/my-households',
      '/api/ledger/v1/estates/jinhe-lvzhou/households/h-1/account',
      '/api/ledger/v1/estates/jinhe-lvzhou/budgets/2026',
    ])
  })
})

describe('pages of a list', () => {
  function pagedClient(answer: (url: URL) => Response) {
    const fetchFn = vi.fn(async (url: string, _init?: RequestInit) => answer(new URL(url)))
    const api = createPagedApiClient({ getToken: async () => 'tok', onUnauthorized: vi.fn(), fetch: fetchFn as unknown as typeof fetch })
    return { api, fetchFn }
  }

  it('asks for limit and offset beside the query and reads the total from X-Total-Count', async () => {
    const { api, fetchFn } = pagedClient(() => json([{ code: 'a' }, { code: 'b' }], 200, { 'X-Total-Count': '42' }))
    const page = await api.getPage<{ code: string }>('tenant', '/v1/estates', { limit: 20, offset: 40, query: { q: 'lv', district: undefined } })
    expect(page).toEqual({ items: [{ code: 'a' }, { code: 'b' }], total: 42 })
    const url = new URL(fetchFn.mock.calls[0]![0])
    expect(url.pathname).toBe('/api/tenant/v1/estates')
    expect(Object.fromEntries(url.searchParams)).toEqual({ q: 'lv', limit: '20', offset: '40' })
    expect(fetchFn.mock.calls[0]![1]!.method).toBe('GET')
  })

  it('keeps limit within 1..500 and offset at 0 or more', async () => {
    const { api, fetchFn } = pagedClient(() => json([], 200, { 'X-Total-Count': '0' }))
    await api.getPage('ledger', '/v1/x', { limit: 9999, offset: -5 })
    await api.getPage('ledger', '/v1/x', { limit: 0, offset: 3.7 })
    const queries = fetchFn.mock.calls.map(([url]) => Object.fromEntries(new URL(url).searchParams))
    expect(queries).toEqual([{ limit: '500', offset: '0' }, { limit: '1', offset: '3' }])
  })

  it("falls back to the list's length without the header (an older server), paging a whole list here", async () => {
    const { api } = pagedClient(() => json([1, 2, 3]))
    await expect(api.getPage('tenant', '/v1/x', { limit: 20, offset: 0 })).resolves.toEqual({ items: [1, 2, 3], total: 3 })
    const whole = Array.from({ length: 45 }, (_, i) => i)
    const old = pagedClient(() => json(whole))
    await expect(old.api.getPage('tenant', '/v1/x', { limit: 20, offset: 40 })).resolves.toEqual({ items: [40, 41, 42, 43, 44], total: 45 })
  })

  it('ignores a header that is not a count', async () => {
    const { api } = pagedClient(() => json([1], 200, { 'X-Total-Count': 'many' }))
    await expect(api.getPage('tenant', '/v1/x', { limit: 20, offset: 0 })).resolves.toEqual({ items: [1], total: 1 })
  })

  it('keeps a JSON object with its total (figures: rows in the body, the total in the header)', async () => {
    const { api } = pagedClient(() => json({ rows: [1], total: 7 }, 200, { 'X-Total-Count': '7' }))
    await expect(api.getCounted('tenant', '/v1/governance/figures', { query: { limit: 1, offset: 0 } })).resolves.toEqual({
      body: { rows: [1], total: 7 },
      total: 7,
    })
    const bare = pagedClient(() => json({ rows: [] }))
    await expect(bare.api.getCounted('tenant', '/v1/governance/figures')).resolves.toEqual({ body: { rows: [] }, total: null })
  })

  it('keeps the plain client (the H5 pages\') without paging, and the paged one with every plain call', async () => {
    expect('getPage' in createApiClient({ getToken: async () => null, onUnauthorized: vi.fn() })).toBe(false)
    const { api, fetchFn } = pagedClient(() => json({ ok: true }))
    await expect(api.get('tenant', '/v1/x')).resolves.toEqual({ ok: true })
    await api.request('tenant', '/v1/x', { method: 'POST', body: {} })
    expect(fetchFn.mock.calls.map(([, init]) => init!.method)).toEqual(['GET', 'POST'])
  })

  it('fails a page as any other call does', async () => {
    const { api } = pagedClient(() => json({ error: 'invalid', reason: 'limit must be at most 500' }, 422))
    await expect(api.getPage('tenant', '/v1/x', { limit: 20, offset: 0 })).rejects.toMatchObject({ status: 422, reason: 'limit must be at most 500' })
  })

  it('gathers every page of a list when the whole of it is needed', async () => {
    const whole = Array.from({ length: 1203 }, (_, i) => i)
    const { api, fetchFn } = pagedClient((url) => {
      const limit = Number(url.searchParams.get('limit'))
      const offset = Number(url.searchParams.get('offset'))
      return json(whole.slice(offset, offset + limit), 200, { 'X-Total-Count': String(whole.length) })
    })
    await expect(allPages(api, 'ledger', '/v1/x', { query: { status: 'draft' } })).resolves.toEqual(whole)
    expect(fetchFn.mock.calls.map(([url]) => new URL(url).search)).toEqual([
      '?status=draft&limit=500&offset=0',
      '?status=draft&limit=500&offset=500',
      '?status=draft&limit=500&offset=1000',
    ])
  })
})
