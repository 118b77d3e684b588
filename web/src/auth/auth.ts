/**
 * Log-in through Keycloak: OpenID Connect authorisation code with PKCE (oidc-client-ts, public
 * client), tokens kept in memory only, renewed with the refresh token before they expire (the
 * library's refresh-token method: no iframe, no third-party cookies), session expiry reported to
 * the app (back to log-in with a message), log-out through Keycloak's end-session endpoint.
 *
 * Only the PKCE state of a log-in in progress (code verifier, return path) lives in
 * sessionStorage, as it must survive the redirect to Keycloak and back; it is removed on return.
 */
import {
  InMemoryWebStorage,
  UserManager,
  WebStorageStateStore,
  type User,
  type UserManagerSettings,
} from 'oidc-client-ts'
import { estatesOf, decodeJwtPayload, rolesOf } from './claims'
import type { RuntimeConfig } from './runtimeConfig'

/** `organization:*` asks Keycloak for every estate of the caller (else a member of several gets none). */
export const SCOPE = 'openid profile organization:*'

/** Renew when the token has less than this left, before an API call. */
const RENEW_MARGIN_SECONDS = 30

export interface AppRoutes {
  /** The app's base path, e.g. '/h5/'. */
  base: string
}

export function oidcSettings(config: RuntimeConfig, origin: string, { base }: AppRoutes): UserManagerSettings {
  return {
    authority: `${config.keycloakUrl}/realms/${encodeURIComponent(config.realm)}`,
    client_id: config.clientId,
    redirect_uri: `${origin}${base}auth/callback`,
    post_logout_redirect_uri: `${origin}${base}`,
    response_type: 'code',
    scope: SCOPE,
    userStore: new WebStorageStateStore({ store: new InMemoryWebStorage() }),
    automaticSilentRenew: true,
    accessTokenExpiringNotificationTimeInSeconds: 60,
    monitorSession: false,
    loadUserInfo: false,
    revokeTokensOnSignout: false,
  }
}

/** The signed-in person as the pages see them. */
export interface SessionUser {
  username: string
  displayName: string
  roles: string[]
  estates: string[]
}

export function sessionUserOf(user: User): SessionUser {
  const claims = decodeJwtPayload(user.access_token)
  const username = String(claims.preferred_username ?? user.profile.preferred_username ?? '')
  return {
    username,
    displayName: String(claims.name ?? user.profile.name ?? username),
    roles: rolesOf(claims),
    estates: estatesOf(claims),
  }
}

/** A path inside the app to come back to after log-in; anything else becomes '/'. */
export function safeReturnPath(value: unknown): string {
  return typeof value === 'string' && value.startsWith('/') && !value.startsWith('//') ? value : '/'
}

/** The part of oidc-client-ts' UserManager this module uses (a fake in the tests). */
export type UserManagerPort = Pick<
  UserManager,
  'getUser' | 'signinRedirect' | 'signinCallback' | 'signinSilent' | 'signoutRedirect' | 'removeUser'
> & {
  events: Pick<
    UserManager['events'],
    'addUserLoaded' | 'addAccessTokenExpired' | 'addSilentRenewError' | 'addUserSignedOut'
  >
}

export interface AuthListeners {
  /** The signed-in user changed (log-in, renewal, log-out). */
  onUser: (user: SessionUser | null) => void
  /** The session ended without the user logging out (expired, revoked, renewal refused). */
  onExpired: () => void
}

export class AuthService {
  private user: User | null = null

  constructor(
    private readonly manager: UserManagerPort,
    private readonly listeners: AuthListeners,
    private readonly now: () => number = () => Date.now() / 1000,
  ) {
    manager.events.addUserLoaded((user) => this.setUser(user))
    manager.events.addAccessTokenExpired(() => void this.expire())
    manager.events.addSilentRenewError(() => void this.expire())
    manager.events.addUserSignedOut(() => void this.expire())
  }

  get signedIn(): boolean {
    return this.user !== null && !this.user.expired
  }

  /** The user kept in memory, if any (none after a reload: tokens are not stored). */
  async restore(): Promise<SessionUser | null> {
    const user = await this.manager.getUser()
    this.setUser(user && !user.expired ? user : null)
    return this.user ? sessionUserOf(this.user) : null
  }

  /** Off to Keycloak's log-in page; back at `returnTo` afterwards. */
  async login(returnTo: string, locale?: string): Promise<void> {
    await this.manager.signinRedirect({
      state: { returnTo: safeReturnPath(returnTo) },
      ...(locale ? { ui_locales: locale } : {}),
    })
  }

  /** On the callback page: trade the code for tokens; the path to go back to. */
  async completeLogin(url: string): Promise<string> {
    const user = await this.manager.signinCallback(url)
    if (!user) return '/'
    this.setUser(user)
    const state = user.state as { returnTo?: unknown } | undefined
    return safeReturnPath(state?.returnTo)
  }

  /** A valid access token, renewed first if it is about to expire; null when the session is gone. */
  async accessToken(): Promise<string | null> {
    const user = this.user
    if (!user) return null
    const left = (user.expires_at ?? 0) - this.now()
    if (left > RENEW_MARGIN_SECONDS) return user.access_token
    try {
      const renewed = await this.manager.signinSilent()
      if (renewed) {
        this.setUser(renewed)
        return renewed.access_token
      }
    } catch {
      // Renewal refused: the session has ended.
    }
    await this.expire()
    return null
  }

  async logout(): Promise<void> {
    this.user = null
    this.listeners.onUser(null)
    await this.manager.signoutRedirect()
  }

  /** The session is over without a log-out: forget the tokens and tell the app. */
  async expire(): Promise<void> {
    if (!this.user) return
    this.setUser(null)
    this.listeners.onExpired()
    await this.manager.removeUser().catch(() => undefined)
  }

  private setUser(user: User | null): void {
    this.user = user
    this.listeners.onUser(user ? sessionUserOf(user) : null)
  }
}

export function createAuthService(config: RuntimeConfig, origin: string, routes: AppRoutes, listeners: AuthListeners) {
  return new AuthService(new UserManager(oidcSettings(config, origin, routes)), listeners)
}
