/** The dashboard's filters (level, area, month, trend range, figure), kept in the page's URL query. */
import { computed } from 'vue'
import { useRoute, useRouter, type LocationQueryValue } from 'vue-router'
import { isMetric, monthsBefore, previousMonth, type Metric } from './figures'
import { LEVELS, type Level } from './types'

const PERIOD = /^\d{4}-(0[1-9]|1[0-2])$/

function one(value: LocationQueryValue | LocationQueryValue[] | undefined): string | undefined {
  const v = Array.isArray(value) ? value[0] : value
  return typeof v === 'string' && v ? v : undefined
}

export function useFilters(defaults: { level: Level; metric: Metric } = { level: 'estate', metric: 'collection_rate_bps' }) {
  const route = useRoute()
  const router = useRouter()
  const fallback = previousMonth()

  const read = <T extends string>(key: string, ok: (v: string) => boolean, otherwise: T): T => {
    const v = one(route.query[key])
    return (v !== undefined && ok(v) ? v : otherwise) as T
  }
  const set = (key: string, value: string | undefined) => {
    const query = { ...route.query }
    if (value) query[key] = value
    else delete query[key]
    void router.replace({ query })
  }

  const period = computed<string>({
    get: () => read('period', (v) => PERIOD.test(v), fallback),
    set: (v) => set('period', v),
  })
  const level = computed<Level>({
    get: () => read('level', (v) => (LEVELS as readonly string[]).includes(v), defaults.level),
    set: (v) => set('level', v),
  })
  const area = computed<string>({
    get: () => read('area', (v) => /^[a-z0-9][a-z0-9-]{1,62}$/.test(v), ''),
    set: (v) => set('area', v || undefined),
  })
  const metric = computed<Metric>({
    get: () => read('metric', isMetric, defaults.metric),
    set: (v) => set('metric', v),
  })
  const to = computed<string>({
    get: () => read('to', (v) => PERIOD.test(v), period.value),
    set: (v) => set('to', v),
  })
  const from = computed<string>({
    get: () => {
      const v = read('from', (x) => PERIOD.test(x), monthsBefore(to.value, 11))
      return v > to.value ? to.value : v
    },
    set: (v) => set('from', v),
  })
  return { period, level, area, metric, from, to }
}

/** The months a filter offers: the last `count` months up to `last`, newest first. */
export function monthOptions(last: string = previousMonth(), count = 36): string[] {
  return Array.from({ length: count }, (_, i) => monthsBefore(last, i - 1)).filter((m) => m <= monthsBefore(last, -1))
}
