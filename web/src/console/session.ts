/**
 * The signed-in person at the desk: who, which roles, which estates (from the access token) —
 * the `ConsoleSession` the pages get from `useConsole()`, and what the route guards ask.
 */
import { computed, ref, type ComputedRef, type Ref } from 'vue'
import type { SessionUser } from '@/auth/auth'
import type { ConsoleSession } from './services'
import type { Role } from './section'

export interface ConsoleSessionState extends ConsoleSession {
  user: Ref<SessionUser | null>
  estates: ComputedRef<readonly string[]>
  signedIn: ComputedRef<boolean>
  setUser(next: SessionUser | null): void
}

export function createConsoleSession(initial: SessionUser | null = null): ConsoleSessionState {
  const user = ref<SessionUser | null>(initial)
  const estates = computed<readonly string[]>(() => [...(user.value?.estates ?? [])].sort())
  const signedIn = computed(() => user.value !== null)

  return {
    user,
    estates,
    signedIn,
    setUser(next) {
      user.value = next
    },
    hasRole(...roles: Role[]) {
      const mine = user.value?.roles ?? []
      return roles.some((role) => mine.includes(role))
    },
    mayOpen(estate: string) {
      return estates.value.includes(estate)
    },
  }
}
