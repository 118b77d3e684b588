import { describe, expect, it, vi } from 'vitest'
import type { User } from 'oidc-client-ts'
import { fakeJwt } from '@/test/fixtures'
import { AuthService, oidcSettings, safeReturnPath, SCOPE, sessionUserOf, type UserManagerPort } from './auth'

const config = { keycloakUrl: 'http://127.0.0.1:18080', realm: 'xinyi', clientId: 'xinyi-web' }
const NOW = 1_800_000_000

function user(expiresIn = 300, extra: Partial<User> = {}): User {
  const access_token = fakeJwt({
    preferred_username: 'resident',
    name: 'Resident User',
    realm_access: { roles: ['resident', 'default-roles-xinyi'] },
    organization: ['jinhe-lvzhou'],
  })
  return {
    access_token,
    expires_at: NOW + expiresIn,
    expired: expiresIn <= 0,
    profile: { sub: 's', iss: 'i', aud: 'a', exp: 0, iat: 0 },
    state: undefined,
    ...extra,
  } as unknown as User
}

type Handler = (...args: unknown[]) => void

function fakeManager(stored: User | null = null) {
  const handlers: Record<string, Handler> = {}
  const manager = {
    getUser: vi.fn(async () => stored),
    signinRedirect: vi.fn(async () => undefined),
    signinCallback: vi.fn(async () => user(300, { state: { returnTo: '/estates/jinhe-lvzhou/books' } } as Partial<User>)),
    signinSilent: vi.fn(async () => user(900)),
    signoutRedirect: vi.fn(async () => undefined),
    removeUser: vi.fn(async () => undefined),
    events: {
      addUserLoaded: (h: Handler) => void (handlers.userLoaded = h),
      addAccessTokenExpired: (h: Handler) => void (handlers.accessTokenExpired = h),
      addSilentRenewError: (h: Handler) => void (handlers.silentRenewError = h),
      addUserSignedOut: (h: Handler) => void (handlers.userSignedOut = h),
    },
  }
  return { manager: manager as unknown as UserManagerPort & typeof manager, handlers }
}

function service(stored: User | null = null) {
  const { manager, handlers } = fakeManager(stored)
  const listeners = { onUser: vi.fn(), onExpired: vi.fn() }
  return { auth: new AuthService(manager, listeners, () => NOW), manager, handlers, listeners }
}

describe('the OpenID Connect settings', () => {
  const settings = oidcSettings(config, 'http://127.0.0.1:8080', { base: '/h5/' })

  it('use the code flow with the redirects of the contract', () => {
    expect(settings.authority).toBe('http://127.0.0.1:18080/realms/xinyi')
    expect(settings.client_id).toBe('xinyi-web')
    expect(settings.response_type).toBe('code')
    expect(settings.redirect_uri).toBe('http://127.0.0.1:8080/h5/auth/callback')
    expect(settings.post_logout_redirect_uri).toBe('http://127.0.0.1:8080/h5/')
    expect(settings.scope).toBe(SCOPE)
    expect(SCOPE.split(' ')).toEqual(expect.arrayContaining(['openid', 'organization:*']))
    expect(settings.automaticSilentRenew).toBe(true)
  })

  it('keep the tokens in memory, not in the browser storage', async () => {
    sessionStorage.clear()
    localStorage.clear()
    await settings.userStore!.set('oidc.user:test', JSON.stringify({ access_token: 'secret' }))
    await expect(settings.userStore!.get('oidc.user:test')).resolves.toContain('secret')
    expect(JSON.stringify({ ...sessionStorage })).not.toContain('secret')
    expect(JSON.stringify({ ...localStorage })).not.toContain('secret')
  })
})

describe('the signed-in user', () => {
  it('comes from the access token: roles and estates', () => {
    expect(sessionUserOf(user())).toEqual({
      username: 'resident',
      displayName: 'Resident User',
      roles: ['resident', 'default-roles-xinyi'],
      estates: ['jinhe-lvzhou'],
    })
  })

  it('is restored from memory only when not expired', async () => {
    const fresh = service(user(300))
    await expect(fresh.auth.restore()).resolves.toMatchObject({ username: 'resident' })
    const stale = service(user(-5))
    await expect(stale.auth.restore()).resolves.toBeNull()
  })
})

describe('log-in and return', () => {
  it('sends the return path and the page language to Keycloak', async () => {
    const { auth, manager } = service()
    await auth.login('/estates/jinhe-lvzhou/books', 'en')
    expect(manager.signinRedirect).toHaveBeenCalledWith({
      state: { returnTo: '/estates/jinhe-lvzhou/books' },
      ui_locales: 'en',
    })
  })

  it('comes back where the user was going', async () => {
    const { auth, listeners } = service()
    await expect(auth.completeLogin('http://x/h5/auth/callback?code=c&state=s')).resolves.toBe('/estates/jinhe-lvzhou/books')
    expect(listeners.onUser).toHaveBeenLastCalledWith(expect.objectContaining({ estates: ['jinhe-lvzhou'] }))
  })

  it.each([
    ['/estates/a/books', '/estates/a/books'],
    ['//evil.example/x', '/'],
    ['https://evil.example/', '/'],
    [undefined, '/'],
  ])('returns only inside the app: %s → %s', (value, expected) => {
    expect(safeReturnPath(value)).toBe(expected)
  })
})

describe('tokens and the end of a session', () => {
  it('gives the token as it is while it has time left', async () => {
    const { auth, manager } = service(user(300))
    await auth.restore()
    await expect(auth.accessToken()).resolves.toMatch(/\./)
    expect(manager.signinSilent).not.toHaveBeenCalled()
  })

  it('renews a token about to expire (refresh token) before using it', async () => {
    const { auth, manager } = service(user(10))
    await auth.restore()
    await auth.accessToken()
    expect(manager.signinSilent).toHaveBeenCalledOnce()
  })

  it('reports the session expired when renewal is refused', async () => {
    const { auth, manager, listeners } = service(user(10))
    manager.signinSilent.mockRejectedValueOnce(new Error('invalid_grant'))
    await auth.restore()
    await expect(auth.accessToken()).resolves.toBeNull()
    expect(listeners.onExpired).toHaveBeenCalledOnce()
    expect(manager.removeUser).toHaveBeenCalled()
    expect(listeners.onUser).toHaveBeenLastCalledWith(null)
  })

  it.each(['accessTokenExpired', 'silentRenewError'])('reports the session expired on %s', async (event) => {
    const { auth, handlers, listeners } = service(user(300))
    await auth.restore()
    handlers[event]!(new Error('x'))
    await Promise.resolve()
    expect(listeners.onExpired).toHaveBeenCalledOnce()
  })

  it('logs out through Keycloak and forgets the user first', async () => {
    const { auth, manager, listeners } = service(user(300))
    await auth.restore()
    await auth.logout()
    expect(listeners.onUser).toHaveBeenLastCalledWith(null)
    expect(manager.signoutRedirect).toHaveBeenCalledOnce()
    expect(listeners.onExpired).not.toHaveBeenCalled()
  })
})
