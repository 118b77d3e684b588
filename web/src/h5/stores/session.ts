/** The signed-in person: who, which roles, which estates (from the access token). */
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import type { SessionUser } from '@/auth/auth'

export const useSessionStore = defineStore('session', () => {
  const user = ref<SessionUser | null>(null)
  const signedIn = computed(() => user.value !== null)
  const estates = computed(() => user.value?.estates ?? [])

  function setUser(next: SessionUser | null): void {
    user.value = next
  }

  function mayOpen(estate: string): boolean {
    return estates.value.includes(estate)
  }

  return { user, signedIn, estates, setUser, mayOpen }
})
