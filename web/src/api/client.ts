/**
 * The pages' HTTP client: same-origin `/api/<service>/…` (the front door routes each prefix to
 * the service's HTTP API), a bearer token from the auth module, JSON in and out, failures as
 * `ApiError` carrying the API's reason, and 401 handed to `onUnauthorized` (back to log-in).
 */
import { ApiError, apiErrorFromResponse } from './errors'

export type Service = 'tenant' | 'ledger' | 'ticketing' | 'microfund'

export interface ApiClientOptions {
  /** The current access token, renewed if it is about to expire; null when logged out. */
  getToken: () => Promise<string | null>
  /** Called on 401: the session is gone. */
  onUnauthorized: () => void
  fetch?: typeof fetch
  /** Prefix of the API routes; '' for the same origin. */
  baseUrl?: string
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
  query?: Record<string, string | number | boolean | undefined>
  body?: unknown
  /** Extra request headers, e.g. `Idempotency-Key` of a write; they never replace Accept or Authorization. */
  headers?: Record<string, string>
  signal?: AbortSignal
}

/** One page of a list route: `limit` (1..500) items from `offset`; the other query parameters beside. */
export interface PageRequest {
  limit: number
  offset: number
  query?: RequestOptions['query']
  signal?: AbortSignal
}

/** A page of a list and the total across pages (the answer's `X-Total-Count`). */
export interface Page<T> {
  items: T[]
  total: number
}

/** A JSON answer with the total its `X-Total-Count` header gives (null when the header is absent). */
export interface Counted<T> {
  body: T
  total: number | null
}

/** The most a list route gives in one page. */
export const MAX_PAGE_LIMIT = 500

export interface ApiClient {
  request<T>(service: Service, path: string, options?: RequestOptions): Promise<T>
  get<T>(service: Service, path: string, options?: Omit<RequestOptions, 'method' | 'body'>): Promise<T>
  /** A file (a voucher, a photo) as a Blob, with the bearer token. */
  blob(service: Service, path: string): Promise<Blob>
}

/**
 * The client with pages of lists (the staff console's: `createPagedApiClient`). Apart from the
 * plain client, so that a bundle not paging (the residents' H5 pages) carries none of it.
 */
export interface PagedApiClient extends ApiClient {
  /**
   * One page of a list route (`?limit=&offset=`, its body a JSON list of the page's items) and the
   * total from `X-Total-Count`; an older server without the header gives the list's own length.
   */
  getPage<T>(service: Service, path: string, page: PageRequest): Promise<Page<T>>
  /** A GET whose JSON answer is kept with its `X-Total-Count` (an object carrying a page, e.g. `rows`). */
  getCounted<T>(service: Service, path: string, options?: Omit<RequestOptions, 'method' | 'body'>): Promise<Counted<T>>
}

/** A path with every interpolated value URL-encoded: path`/v1/estates/${code}` . */
export function path(strings: TemplateStringsArray, ...values: (string | number)[]): string {
  return strings.reduce(
    (out, part, i) => out + part + (i < values.length ? encodeURIComponent(String(values[i])) : ''),
    '',
  )
}

/** `X-Total-Count` as a number, or null when absent or not a non-negative integer. */
export function totalCountOf(headers: Headers): number | null {
  const text = headers.get('X-Total-Count')
  if (text === null || !/^\s*\d+\s*$/.test(text)) return null
  return Number(text)
}

/** `limit` clamped to 1..500 and `offset` to ≥ 0, both whole numbers. */
export function pageQuery(page: Pick<PageRequest, 'limit' | 'offset'>): { limit: number; offset: number } {
  const limit = Math.min(MAX_PAGE_LIMIT, Math.max(1, Math.floor(page.limit) || 1))
  const offset = Math.max(0, Math.floor(page.offset) || 0)
  return { limit, offset }
}

/**
 * Every item of a list route, a page of `pageSize` (500 at most) at a time, until the total is
 * reached (or a page comes back short): for what needs the whole list (a filter's options).
 */
export async function allPages<T>(
  api: Pick<PagedApiClient, 'getPage'>,
  service: Service,
  route: string,
  options: { query?: RequestOptions['query']; signal?: AbortSignal; pageSize?: number } = {},
): Promise<T[]> {
  const limit = pageQuery({ limit: options.pageSize ?? MAX_PAGE_LIMIT, offset: 0 }).limit
  const out: T[] = []
  for (;;) {
    const { items, total } = await api.getPage<T>(service, route, { limit, offset: out.length, query: options.query, signal: options.signal })
    out.push(...items)
    if (items.length < limit || out.length >= total || !items.length) return out
  }
}

function transport(options: ApiClientOptions) {
  const fetchFn = options.fetch ?? globalThis.fetch.bind(globalThis)
  const baseUrl = options.baseUrl ?? ''

  async function send(service: Service, route: string, opts: RequestOptions, accept: string): Promise<Response> {
    const url = new URL(`${baseUrl}/api/${service}${route}`, globalThis.location?.origin ?? 'http://localhost')
    for (const [key, value] of Object.entries(opts.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value))
    }
    const headers: Record<string, string> = { ...opts.headers, Accept: accept }
    const token = await options.getToken()
    if (token) headers.Authorization = `Bearer ${token}`
    // A FormData body (a file upload) goes as multipart, its boundary set by fetch.
    const multipart = typeof FormData !== 'undefined' && opts.body instanceof FormData
    if (opts.body !== undefined && !multipart) headers['Content-Type'] = 'application/json'

    let response: Response
    try {
      response = await fetchFn(url.toString(), {
        method: opts.method ?? 'GET',
        headers,
        body: opts.body === undefined ? undefined : multipart ? (opts.body as FormData) : JSON.stringify(opts.body),
        signal: opts.signal,
        credentials: 'omit',
      })
    } catch (cause) {
      if (cause instanceof DOMException && cause.name === 'AbortError') throw cause
      throw new ApiError(0, 'network', cause instanceof Error ? cause.message : String(cause))
    }
    if (!response.ok) {
      const error = await apiErrorFromResponse(response)
      if (response.status === 401) options.onUnauthorized()
      throw error
    }
    return response
  }

  return send
}

type Send = ReturnType<typeof transport>

function plainClient(send: Send): ApiClient {
  async function request<T>(service: Service, route: string, opts: RequestOptions = {}): Promise<T> {
    const response = await send(service, route, opts, 'application/json')
    if (response.status === 204) return undefined as T
    return (await response.json()) as T
  }
  return {
    request,
    get: (service, route, opts) => request(service, route, { ...opts, method: 'GET' }),
    blob: async (service, route) => (await send(service, route, { method: 'GET' }, '*/*')).blob(),
  }
}

export function createApiClient(options: ApiClientOptions): ApiClient {
  return plainClient(transport(options))
}

/** The client of `createApiClient` and pages of lists: `getPage`, `getCounted`. */
export function createPagedApiClient(options: ApiClientOptions): PagedApiClient {
  const send = transport(options)

  async function counted<T>(service: Service, route: string, opts: RequestOptions): Promise<Counted<T>> {
    const response = await send(service, route, { ...opts, method: 'GET' }, 'application/json')
    const total = totalCountOf(response.headers)
    if (response.status === 204) return { body: undefined as T, total }
    return { body: (await response.json()) as T, total }
  }

  async function getPage<T>(service: Service, route: string, page: PageRequest): Promise<Page<T>> {
    const { limit, offset } = pageQuery(page)
    const { body, total } = await counted<T[]>(service, route, { query: { ...page.query, limit, offset }, signal: page.signal })
    const items = Array.isArray(body) ? body : []
    if (total !== null) return { items, total }
    // An older server: no header, and the whole list whatever the limit — paged here.
    if (items.length > limit) return { items: items.slice(offset, offset + limit), total: items.length }
    return { items, total: items.length }
  }

  return { ...plainClient(send), getPage, getCounted: (service, route, opts = {}) => counted(service, route, opts) }
}
