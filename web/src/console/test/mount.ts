/**
 * Mounting console pages in tests as the app does (strict i18n with every section's catalogue,
 * the router and its guards, Element Plus, pinia, the services) with fakes, collecting every Vue
 * warning or error — a missing message key throws in strict i18n and so shows up in `problems`.
 *
 *   const app = await mountConsole('/estates/jinhe-lvzhou/firm/households', {
 *     user: users.firmManager,
 *     api: fakeApi({ 'GET tenant /v1/estates/jinhe-lvzhou/households': { households: [], total: 0 } }),
 *     locale: 'en',
 *   })
 *   expect(app.problems).toEqual([])
 *   expect(app.api.calls('GET tenant /v1/estates/jinhe-lvzhou/households')).toHaveLength(1)
 */
import { flushPromises, mount } from '@vue/test-utils'
import ElementPlus from 'element-plus'
import { createPinia, setActivePinia } from 'pinia'
import { vi } from 'vitest'
import type { ComponentPublicInstance } from 'vue'
import { pageQuery, type PagedApiClient as ApiClient, type RequestOptions, type Service } from '@/api/client'
import { ApiError } from '@/api/errors'
import type { SessionUser } from '@/auth/auth'
import type { Locale } from '@/i18n/format'
import App from '../App.vue'
import { applyLocale, createConsoleI18n, elementLocale } from '../i18n'
import { CONSOLE_SECTIONS, createConsoleRouter } from '../router'
import type { ConsoleSection } from '../section'
import { SECTIONS } from '../sections'
import { CONSOLE, type AuthActions } from '../services'
import { createConsoleSession, type ConsoleSessionState } from '../session'

export const ESTATE = 'jinhe-lvzhou'
export const OTHER_ESTATE = 'qingshan-yuan'

function user(username: string, roles: string[], estates: string[], displayName = username): SessionUser {
  return { username, displayName, roles, estates }
}

/** The demo's people, one per role (estate staff are members of `ESTATE` only). */
export const users = {
  platformAdmin: user('platform-admin', ['platform_admin'], [], '平台管理员'),
  firmManager: user('firm-manager', ['firm_manager'], [ESTATE], '物业经理'),
  firmStaff: user('firm-staff', ['firm_staff'], [ESTATE], '物业员工'),
  supervisor: user('supervisor', ['supervisor'], [ESTATE], '监督人'),
  communityOfficer: user('community-officer', ['community_officer'], [ESTATE], '社区工作人员'),
  governanceObserver: user('governance-observer', ['governance_observer'], [], '居委会观察员'),
  resident: user('resident', ['resident'], [ESTATE], '居民'),
} satisfies Record<string, SessionUser>

/** 'GET tenant /v1/estates' (the path without its query string). */
export type RouteKey = `${'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'} ${Service} ${string}`

export type FakeRequest = RequestOptions & { path: string }
/** An answer: a value, an error to throw, or a function of the request (its body, query…). */
export type FakeAnswer = ((request: FakeRequest) => unknown) | {} | null

export interface FakeApi extends ApiClient {
  /** The requests made to a route, with their options (query, body). */
  calls(key: RouteKey): (RequestOptions & { path: string })[]
  /** Every request made, as 'METHOD service path'. */
  log: string[]
}

/**
 * A fake API client answering `routes` ('GET tenant /v1/estates' → value, Error, or a function of
 * the request); any other route fails with a 404 ApiError (and is in `log`).
 */
export function fakeApi(routes: Partial<Record<RouteKey, FakeAnswer>> = {}): FakeApi {
  const log: string[] = []
  const made: { key: string; options: RequestOptions & { path: string } }[] = []

  async function answer(service: Service, path: string, options: RequestOptions = {}): Promise<unknown> {
    const bare = path.split('?')[0] ?? path
    const key = `${options.method ?? 'GET'} ${service} ${bare}`
    log.push(key)
    const request = { ...options, path }
    made.push({ key, options: request })
    if (!(key in routes)) throw new ApiError(404, 'not_found', `no fake answer for ${key}`, 'req-test')
    const value = routes[key as RouteKey]
    const result = typeof value === 'function' ? await (value as (o: typeof request) => unknown)(request) : value
    if (result instanceof Error) throw result
    return result
  }

  const plain = (value: unknown) => (value instanceof FakeCounted ? value.body : value)
  const request = vi.fn(async (service: Service, path: string, options?: RequestOptions) =>
    plain(await answer(service, path, options))) as unknown as ApiClient['request']
  const get = vi.fn(async (service: Service, path: string, options?: RequestOptions) =>
    plain(await answer(service, path, { ...options, method: 'GET' }))) as unknown as ApiClient['get']
  const blob = vi.fn(async (service: Service, path: string) => {
    const value = await answer(service, path, { method: 'GET' })
    return value instanceof Blob ? value : new Blob([String(value ?? '')])
  }) as ApiClient['blob']

  // A list answered as an array is paged as the server pages it (limit/offset, the header its length).
  const getPage = vi.fn(async (service: Service, path: string, page: Parameters<ApiClient['getPage']>[2]) => {
    const { limit, offset } = pageQuery(page)
    const value = await answer(service, path, { method: 'GET', query: { ...page.query, limit, offset }, signal: page.signal })
    if (value instanceof FakeCounted) return { items: value.body, total: value.total }
    const list = Array.isArray(value) ? value : []
    return { items: list.slice(offset, offset + limit), total: list.length }
  }) as unknown as ApiClient['getPage']
  const getCounted = vi.fn(async (service: Service, path: string, options?: RequestOptions) => {
    const value = await answer(service, path, { ...options, method: 'GET' })
    return value instanceof FakeCounted ? { body: value.body, total: value.total } : { body: value, total: null }
  }) as unknown as ApiClient['getCounted']

  return {
    request,
    get,
    getPage,
    getCounted,
    blob,
    log,
    calls: (key) => made.filter((entry) => entry.key === key).map((entry) => entry.options),
  }
}

/** A list route's answer with its `X-Total-Count`: `withTotal(items, 57)` (`items` being the page asked for). */
export class FakeCounted {
  constructor(
    readonly body: unknown,
    readonly total: number,
  ) {}
}
export function withTotal(body: unknown, total: number): FakeCounted {
  return new FakeCounted(body, total)
}

/** An API refusal as the services send it (status, error code, reason). */
export function refusal(status: number, reason: string, code = status === 409 ? 'conflict' : 'invalid'): ApiError {
  return new ApiError(status, code, reason, 'req-test')
}

export function fakeAuth(user: SessionUser | null): AuthActions {
  return {
    login: vi.fn(async () => undefined),
    logout: vi.fn(async () => undefined),
    completeLogin: vi.fn(async () => '/'),
    restore: vi.fn(async () => user),
  }
}

export interface MountedConsole {
  wrapper: ReturnType<typeof mount<typeof App>>
  router: ReturnType<typeof createConsoleRouter>
  api: FakeApi
  auth: AuthActions
  session: ConsoleSessionState
  /** Vue warnings and errors (a missing message key among them): expect it to be []. */
  problems: string[]
}

export interface MountOptions {
  user?: SessionUser | null
  api?: FakeApi
  auth?: AuthActions
  locale?: Locale
  /** The sections to mount (all of them by default). */
  sections?: readonly ConsoleSection[]
}

/** The whole console at `path` (inside /console/), signed in as `user` (the firm manager by default). */
export async function mountConsole(path: string, options: MountOptions = {}): Promise<MountedConsole> {
  const user = options.user === undefined ? users.firmManager : options.user
  const { api = fakeApi(), auth = fakeAuth(user), locale = 'zh-CN', sections = SECTIONS } = options
  const pinia = createPinia()
  setActivePinia(pinia)
  const session = createConsoleSession()
  const router = createConsoleRouter({ session, auth, sections, history: 'memory' })
  const i18n = createConsoleI18n({ locale, strict: true, sections })
  applyLocale(locale)
  const problems: string[] = []

  await router.push(path)
  await router.isReady()
  const wrapper = mount(App, {
    attachTo: document.body,
    global: {
      plugins: [pinia, i18n, router, [ElementPlus, { locale: elementLocale(locale) }]],
      provide: { [CONSOLE as symbol]: { api, auth, session }, [CONSOLE_SECTIONS as symbol]: sections },
      config: {
        errorHandler: (error: unknown) => {
          problems.push(`error: ${error instanceof Error ? error.message : String(error)}`)
        },
        warnHandler: (message: string, _instance: ComponentPublicInstance | null, trace: string) => {
          problems.push(`warning: ${message}${trace}`)
        },
      },
    },
  })
  await settle()
  return { wrapper, router, api, auth, session, problems }
}

/** Lets loaders, lazy routes and async components finish. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) {
    await flushPromises()
    await new Promise((resolve) => setTimeout(resolve, 0))
  }
}
