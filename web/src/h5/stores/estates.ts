/** Names of the caller's estates, for the picker and the header (the code stands in until known). */
import { defineStore } from 'pinia'
import { reactive } from 'vue'
import type { Endpoints } from '@/api/endpoints'

export const useEstateNames = defineStore('estateNames', () => {
  const names = reactive<Record<string, string>>({})
  const pending = new Set<string>()

  function nameOf(code: string): string {
    return names[code] ?? code
  }

  async function load(api: Endpoints, codes: readonly string[]): Promise<void> {
    await Promise.all(
      codes
        .filter((code) => !(code in names) && !pending.has(code))
        .map(async (code) => {
          pending.add(code)
          try {
            names[code] = (await api.tenant.estate(code)).name
          } catch {
            // The code is shown instead; the pages report their own errors.
          } finally {
            pending.delete(code)
          }
        }),
    )
  }

  return { names, nameOf, load }
})
