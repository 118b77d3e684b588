/** What the pages get from the app: the API routes and the log-in actions (fakes in the tests). */
import { inject, type InjectionKey } from 'vue'
import type { Endpoints } from '@/api/endpoints'
import type { AuthService } from '@/auth/auth'

export type AuthActions = Pick<AuthService, 'login' | 'logout' | 'completeLogin' | 'restore'>

export interface AppServices {
  api: Endpoints
  auth: AuthActions
}

export const SERVICES: InjectionKey<AppServices> = Symbol('xinyi services')

export function useServices(): AppServices {
  const services = inject(SERVICES)
  if (!services) throw new Error('the app services are not provided')
  return services
}
