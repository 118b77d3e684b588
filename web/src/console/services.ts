/** What the console's pages get from the shell (fakes in the tests): `useConsole()`. */
import { inject, type InjectionKey, type Ref } from 'vue'
import type { PagedApiClient } from '@/api/client'
import type { AuthService, SessionUser } from '@/auth/auth'
import type { Role } from './section'

export type AuthActions = Pick<AuthService, 'login' | 'logout' | 'completeLogin' | 'restore'>

export interface ConsoleSession {
  user: Readonly<Ref<SessionUser | null>>
  /** The caller's estates (the token's organization claim), sorted. */
  estates: Readonly<Ref<readonly string[]>>
  hasRole(...roles: Role[]): boolean
  /** Whether the estate is one of the caller's. */
  mayOpen(estate: string): boolean
}

export interface ConsoleServices {
  /** The raw client: sections type their routes in `sections/<name>/api.ts`. */
  api: PagedApiClient
  auth: AuthActions
  session: ConsoleSession
}

export const CONSOLE: InjectionKey<ConsoleServices> = Symbol('xinyi console services')

export function useConsole(): ConsoleServices {
  const services = inject(CONSOLE)
  if (!services) throw new Error('the console services are not provided')
  return services
}
