/**
 * A select over every area or estate of a district (thousands in a city): only the first few that
 * match what is typed are drawn — thousands of options stall the page — plus the chosen one, and how
 * many more match, so the user knows to type more.
 */
import { computed, ref, type Ref } from 'vue'

export const MAX_OPTIONS = 50

export function useBoundedOptions<T>(
  all: Ref<readonly T[]>,
  chosen: Ref<string>,
  keyOf: (item: T) => string,
  textOf: (item: T) => string,
  max = MAX_OPTIONS,
) {
  const query = ref('')
  const matches = computed(() => {
    const needle = query.value.trim().toLowerCase()
    return needle ? all.value.filter((item) => textOf(item).toLowerCase().includes(needle)) : all.value
  })
  const options = computed<T[]>(() => {
    const shown = matches.value.slice(0, max)
    const picked = all.value.find((item) => keyOf(item) === chosen.value)
    return picked && !shown.includes(picked) ? [picked, ...shown] : shown
  })
  /** Matching ones not drawn. */
  const hidden = computed(() => Math.max(0, matches.value.length - max))
  /** For el-select's filter-method (and its visible-change: a closed select starts unfiltered). */
  function filter(typed: string): void {
    query.value = typed
  }
  function reset(open: boolean): void {
    if (!open) query.value = ''
  }
  return { options, hidden, filter, reset }
}

/** A ranking or list shown a page at a time. */
export function pageOf<T>(items: readonly T[], page: number, size: number): T[] {
  return items.slice((page - 1) * size, page * size)
}
