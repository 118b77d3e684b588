/**
 * Mounting the resident pages in tests as the app does (pinia, strict i18n, router, Vant,
 * services) with fake services, and failing on any Vue warning or error — a missing message key
 * throws in strict i18n and so fails the test, as does an unregistered component.
 */
import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { vi } from 'vitest'
import type { ComponentPublicInstance } from 'vue'
import type { Endpoints } from '@/api/endpoints'
import { ApiError } from '@/api/errors'
import type { SessionUser } from '@/auth/auth'
import { createAppI18n } from '@/i18n'
import type { Locale } from '@/i18n/format'
import App from '@/h5/App.vue'
import { applyLocale } from '@/h5/locale'
import { createAppRouter } from '@/h5/router'
import { SERVICES, type AuthActions } from '@/h5/services'
import { useSessionStore } from '@/h5/stores/session'
import { installVant } from '@/h5/vant'
import * as fixtures from './fixtures'

export function fakeApi(
  overrides: {
    tenant?: Partial<Endpoints['tenant']>
    ledger?: Partial<Endpoints['ledger']>
    ticketing?: Partial<Endpoints['ticketing']>
    microfund?: Partial<Endpoints['microfund']>
  } = {},
): Endpoints {
  return {
    tenant: {
      estate: vi.fn(async () => fixtures.estate),
      myHouseholds: vi.fn(async () => [fixtures.household]),
      ballots: vi.fn(async () => [fixtures.openBallotSummary, fixtures.closedBallotSummary]),
      ballot: vi.fn(async (_code: string, id: string) =>
        id === fixtures.closedBallot.id ? fixtures.closedBallot : fixtures.openBallot,
      ),
      vote: vi.fn(async () => fixtures.voteReceipt),
      checkReceipt: vi.fn(async () => ({ counted: true, option: '同意' })),
      ...overrides.tenant,
    },
    ledger: {
      householdAccount: vi.fn(async () => fixtures.account),
      statement: vi.fn(async () => fixtures.statement),
      budget: vi.fn(async () => fixtures.budget),
      expenses: vi.fn(async () => [fixtures.expense]),
      expense: vi.fn(async () => fixtures.expenseDetail),
      voucher: vi.fn(async () => new Blob(['%PDF'], { type: 'application/pdf' })),
      ask: vi.fn(async () => fixtures.expenseDetail.questions[0]!),
      logKey: vi.fn(async () => fixtures.logKey),
      latestCheckpoint: vi.fn(async () => fixtures.latestCheckpoint),
      inclusionProof: vi.fn(async () => fixtures.proofBundle),
      opening: vi.fn(async () => fixtures.opening),
      ...overrides.ledger,
    },
    ticketing: {
      serviceTargets: vi.fn(async () => fixtures.serviceTargets),
      uploadPhoto: vi.fn(async () => fixtures.ticketFile),
      report: vi.fn(async () => fixtures.ticket),
      tickets: vi.fn(async () => ({ tickets: [fixtures.ticket], next_before: null })),
      ticket: vi.fn(async () => fixtures.ticketDetail),
      confirm: vi.fn(async () => fixtures.ticket),
      reopen: vi.fn(async () => fixtures.ticket),
      complain: vi.fn(async () => fixtures.ticket),
      ...overrides.ticketing,
    },
    microfund: {
      statement: vi.fn(async () => fixtures.fundStatement),
      apply: vi.fn(async () => fixtures.fundStatement.grants[0]!),
      ...overrides.microfund,
    },
  }
}

export function fakeAuth(user: SessionUser | null = fixtures.resident): AuthActions {
  return {
    login: vi.fn(async () => undefined),
    logout: vi.fn(async () => undefined),
    completeLogin: vi.fn(async () => '/'),
    restore: vi.fn(async () => user),
  }
}

export function notFound(reason: string): ApiError {
  return new ApiError(404, 'not_found', reason, 'req-1')
}

export interface MountedApp {
  wrapper: ReturnType<typeof mount<typeof App>>
  router: ReturnType<typeof createAppRouter>
  api: Endpoints
  auth: AuthActions
  problems: string[]
}

/** The whole app at `path` (inside /h5/), in `locale`, signed in as `user` unless null. */
export async function mountApp(
  path: string,
  { locale = 'zh-CN', user = fixtures.resident, api = fakeApi(), auth = fakeAuth(user) }:
    { locale?: Locale; user?: SessionUser | null; api?: Endpoints; auth?: AuthActions } = {},
): Promise<MountedApp> {
  const pinia = createPinia()
  setActivePinia(pinia)
  const session = useSessionStore(pinia)
  const router = createAppRouter({ session, auth, history: 'memory' })
  const i18n = createAppI18n({ locale, strict: true })
  applyLocale(locale)
  const problems: string[] = []

  await router.push(path)
  await router.isReady()
  const wrapper = mount(App, {
    attachTo: document.body,
    global: {
      plugins: [pinia, i18n, router, { install: installVant }],
      provide: { [SERVICES as symbol]: { api, auth } },
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
  return { wrapper, router, api, auth, problems }
}

/** Lets loaders, lazy routes and async components finish. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) {
    await flushPromises()
    await new Promise((resolve) => setTimeout(resolve, 0))
  }
}
