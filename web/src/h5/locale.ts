/** The page's language: vue-i18n, Vant's own texts, <html lang> and the saved choice, together. */
import { computed } from 'vue'
import { useI18n } from 'vue-i18n'
import { saveLocale, isLocale, DEFAULT_LOCALE } from '@/i18n'
import {
  formatDate,
  formatDateTime,
  formatFen,
  formatPeriod,
  formatBps,
  formatArea,
  formatDecimal,
  type Locale,
} from '@/i18n/format'
import { useVantLocale } from './vant'

export function applyLocale(locale: Locale): void {
  useVantLocale(locale)
  if (typeof document !== 'undefined') document.documentElement.lang = locale
}

export function useLocaleSwitch() {
  const { locale } = useI18n()
  const current = computed<Locale>(() => (isLocale(locale.value) ? locale.value : DEFAULT_LOCALE))
  const other = computed<Locale>(() => (current.value === 'en' ? 'zh-CN' : 'en'))

  function setLocale(next: Locale): void {
    locale.value = next
    saveLocale(next)
    applyLocale(next)
  }

  return { current, other, setLocale, toggle: () => setLocale(other.value) }
}

/** Formatters bound to the page's language. */
export function useFormat() {
  const { current } = useLocaleSwitch()
  return {
    fen: formatFen,
    bps: formatBps,
    area: formatArea,
    decimal: formatDecimal,
    date: (iso: string) => formatDate(iso, current.value),
    dateTime: (iso: string) => formatDateTime(iso, current.value),
    period: (period: string) => formatPeriod(period, current.value),
  }
}
