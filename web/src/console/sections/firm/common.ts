/** What every page of the firm's section starts with: the estate of the route, its typed API, formatters. */
import { computed } from 'vue'
import { useRoute } from 'vue-router'
import { useI18n } from 'vue-i18n'
import { formatBps, formatDate, formatDateTime, formatFen, formatPeriod, type Locale } from '@/i18n/format'
import { useConsole } from '../../services'
import { firmApi } from './api'
import './firm.css'

export function useFirm() {
  const route = useRoute()
  const services = useConsole()
  const { t, locale } = useI18n()
  const estate = computed(() => String(route.params.estate ?? ''))
  const lang = computed<Locale>(() => (locale.value === 'en' ? 'en' : 'zh-CN'))

  /** A dwelling as people name it: 3栋2单元1502 / Bldg 3, Unit 2, Room 1502. */
  function dwelling(h: { building: string; unit: string; room: string }): string {
    return h.unit
      ? t('firm.common.dwelling', { building: h.building, unit: h.unit, room: h.room })
      : t('firm.common.dwellingNoUnit', { building: h.building, room: h.room })
  }

  return {
    api: firmApi(services.api),
    session: services.session,
    estate,
    t,
    fen: formatFen,
    bps: formatBps,
    date: (iso: string) => formatDate(iso, lang.value),
    dateTime: (iso: string) => formatDateTime(iso, lang.value),
    period: (p: string) => formatPeriod(p, lang.value),
    dwelling,
  }
}
