/**
 * The community whose micro-fund the current estate donates to (GET /v1/estates/{code}/fund), for
 * the pages under /console/estates/:estate/community/…; and small helpers of the officer's forms.
 */
import { ref, watch, type Ref } from 'vue'
import { useRoute } from 'vue-router'
import { ApiError } from '@/api/errors'
import type { CommunityApi } from './api'

export function useCommunity(calls: CommunityApi): {
  estate: Ref<string>
  community: Ref<string | null>
  failure: Ref<string>
  resolving: Ref<boolean>
} {
  const route = useRoute()
  const estate = ref(String(route.params.estate ?? ''))
  const community = ref<string | null>(null)
  const failure = ref('')
  const resolving = ref(false)
  async function resolve(): Promise<void> {
    community.value = null
    failure.value = ''
    if (!estate.value) return
    resolving.value = true
    try {
      community.value = (await calls.membership(estate.value)).community_code
    } catch (error) {
      failure.value = reasonOf(error)
    } finally {
      resolving.value = false
    }
  }
  watch(
    () => route.params.estate,
    (value) => {
      const next = String(value ?? '')
      if (next && next !== estate.value) {
        estate.value = next
        void resolve()
      }
    },
  )
  void resolve()
  return { estate, community, failure, resolving }
}

export function reasonOf(error: unknown): string {
  return error instanceof ApiError ? error.reason : error instanceof Error ? error.message : String(error)
}

/** Whether a failed call may have been recorded anyway (no answer, or the server's failure): keep its key. */
export function mayRetrySameKey(error: unknown): boolean {
  return !(error instanceof ApiError) || error.status === 0 || error.status >= 500
}

/** Yuan as typed ("12", "12.5", "1,234.56") to integer fen, without floating point; null if not a positive amount. */
export function yuanToFen(text: string): number | null {
  const match = /^(\d{1,9})(?:\.(\d{1,2}))?$/.exec(text.trim().replace(/[,，\s¥]/g, ''))
  if (!match) return null
  const fen = Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0'))
  return fen > 0 ? fen : null
}

/** Fen as yuan for a form's field: 14200 → "142.00". */
export function fenToYuanText(fen: number): string {
  return `${Math.floor(fen / 100)}.${String(fen % 100).padStart(2, '0')}`
}

/** Today in Asia/Shanghai, YYYY-MM-DD. */
export function today(now: Date = new Date()): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' }).format(now)
}
