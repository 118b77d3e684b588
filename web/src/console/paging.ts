/**
 * A list paged on the server: one page of `pageSize` asked for at a time (`limit` = the page's size,
 * `offset` = (page − 1) × size), its total from the answer's `X-Total-Count` (see `PagedApiClient.getPage`).
 * An answer that comes back after a newer request was made is dropped.
 *
 *   const list = useServerPage((limit, offset) => api.estates({ limit, offset, q: query.value }), 20, reasonOf)
 *   <el-pagination :current-page="list.page.value" :page-size="20" :total="list.total.value" @current-change="list.goTo" />
 */
import { ref, type Ref } from 'vue'
import type { Page } from '@/api/client'

export interface ServerPage<T> {
  rows: Ref<T[]>
  total: Ref<number>
  /** The page shown, from 1. */
  page: Ref<number>
  loading: Ref<boolean>
  /** The reason the last request failed, or null. */
  error: Ref<string | null>
  /** Asks for the page shown again. */
  load: () => Promise<void>
  /** Asks for page `n` (from 1). */
  goTo: (n: number) => Promise<void>
  /** From the first page again (a filter or the search changed). */
  reset: () => Promise<void>
}

export function useServerPage<T>(
  fetchPage: (limit: number, offset: number) => Promise<Page<T>>,
  pageSize: number,
  reasonOf: (error: unknown) => string,
): ServerPage<T> {
  const rows = ref([]) as Ref<T[]>
  const total = ref(0)
  const page = ref(1)
  const loading = ref(false)
  const error = ref<string | null>(null)
  let run = 0

  async function load(): Promise<void> {
    const mine = ++run
    loading.value = true
    error.value = null
    try {
      const answer = await fetchPage(pageSize, (page.value - 1) * pageSize)
      if (mine !== run) return
      const last = Math.max(1, Math.ceil(answer.total / pageSize))
      if (!answer.items.length && page.value > last) {
        // The list shrank under the page (a grant decided, an estate gone): show its last page.
        page.value = last
        return await load()
      }
      rows.value = answer.items
      total.value = answer.total
    } catch (failure) {
      if (mine !== run) return
      error.value = reasonOf(failure)
      rows.value = []
    } finally {
      if (mine === run) loading.value = false
    }
  }

  async function goTo(n: number): Promise<void> {
    page.value = Math.max(1, Math.floor(n) || 1)
    await load()
  }

  return { rows, total, page, loading, error, load, goTo, reset: () => goTo(1) }
}

/**
 * Where page `n` (from 1) of a list shown newest first lies in a list the server gives oldest first:
 * the `limit` items from `offset`, to be shown reversed.
 */
export function newestFirstWindow(total: number, n: number, pageSize: number): { limit: number; offset: number } {
  const end = Math.max(0, total - (n - 1) * pageSize)
  const offset = Math.max(0, end - pageSize)
  return { limit: Math.max(1, end - offset), offset }
}

/**
 * Page `n` (from 1) of a list the server gives oldest first, to be shown newest first: the window
 * of the server's list holding it (`newestFirstWindow`), asked for again when the total the window
 * was reckoned from (`knownTotal`, 0 before the first answer) was not the answer's. The items come
 * in the server's order: the caller puts them newest first.
 */
export async function newestFirstPage<T>(
  fetchWindow: (limit: number, offset: number) => Promise<Page<T>>,
  knownTotal: number,
  n: number,
  pageSize: number,
): Promise<Page<T>> {
  const guess = newestFirstWindow(knownTotal, n, pageSize)
  const answer = await fetchWindow(guess.limit, guess.offset)
  if (answer.total === knownTotal) return answer
  const window = newestFirstWindow(answer.total, n, pageSize)
  if (window.offset === guess.offset && window.limit === guess.limit) return answer
  return fetchWindow(window.limit, window.offset)
}
