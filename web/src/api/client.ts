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

export interface ApiClient {
  request<T>(service: Service, path: string, options?: RequestOptions): Promise<T>
  get<T>(service: Service, path: string, options?: Omit<RequestOptions, 'method' | 'body'>): Promise<T>
  /** A file (a voucher, a photo) as a Blob, with the bearer token. */
  blob(service: Service, path: string): Promise<Blob>
}

/** A path with every interpolated value URL-encoded: path`/v1/estates/${code}` . */
export function path(strings: TemplateStringsArray, ...values: (string | number)[]): string {
  return strings.reduce(
    (out, part, i) => out + part + (i < values.length ? encodeURIComponent(String(values[i])) : ''),
    '',
  )
}

export function createApiClient(options: ApiClientOptions): ApiClient {
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
