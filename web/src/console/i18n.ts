/**
 * The console's languages: zh-CN first, English switchable, the choice kept in the browser (the
 * same saved choice as the resident pages). Its catalogue is the shell's messages plus every
 * section's catalogue under the section's name (`firm.…`, `platform.…`). `strict` (the tests)
 * turns a missing key into an exception; outside the tests a missing key is reported on
 * `<html data-i18n-missing>` and the console, as the resident pages do.
 */
import { computed } from 'vue'
import { createI18n, useI18n } from 'vue-i18n'
import enEP from 'element-plus/es/locale/lang/en'
import zhEP from 'element-plus/es/locale/lang/zh-cn'
import { DEFAULT_LOCALE, isLocale, MissingMessageError, saveLocale } from '@/i18n'
import {
  formatBps,
  formatDate,
  formatDateTime,
  formatFen,
  formatPeriod,
  type Locale,
} from '@/i18n/format'
import type { Catalogue, ConsoleSection } from './section'
import { SECTIONS } from './sections'
import shellEn from './locales/en'
import shellZh from './locales/zh-CN'

export const shellMessages = { 'zh-CN': shellZh, en: shellEn }

/** The shell's messages with each section's merged under its name. */
export function consoleMessages(sections: readonly ConsoleSection[] = SECTIONS): { 'zh-CN': Catalogue; en: Catalogue } {
  const merge = (locale: Locale, shell: Catalogue): Catalogue => ({
    ...shell,
    ...Object.fromEntries(sections.map((section) => [section.name, section.messages[locale]])),
  })
  return { 'zh-CN': merge('zh-CN', shellZh), en: merge('en', shellEn) }
}

export interface ConsoleI18nOptions {
  locale?: Locale
  strict?: boolean
  sections?: readonly ConsoleSection[]
}

export function createConsoleI18n({ locale = DEFAULT_LOCALE, strict = false, sections = SECTIONS }: ConsoleI18nOptions = {}) {
  return createI18n({
    legacy: false,
    locale,
    fallbackLocale: strict ? false : DEFAULT_LOCALE,
    messages: consoleMessages(sections),
    missingWarn: !strict,
    fallbackWarn: false,
    missing: strict
      ? (missingLocale: string, key: string) => {
          throw new MissingMessageError(`missing message "${key}" in ${missingLocale}`)
        }
      : reportMissing,
  })
}

export type ConsoleI18n = ReturnType<typeof createConsoleI18n>

function reportMissing(missingLocale: string, key: string): void {
  console.error(`[i18n] missing message "${key}" in ${missingLocale}`)
  const root = globalThis.document?.documentElement
  if (!root) return
  const entry = `${missingLocale}:${key}`
  const seen = (root.dataset.i18nMissing ?? '').split(' ').filter(Boolean)
  if (!seen.includes(entry)) root.dataset.i18nMissing = [...seen, entry].join(' ')
}

/** Element Plus's own texts (pagination, date pickers, empty tables) in the page's language. */
export function elementLocale(locale: Locale) {
  return locale === 'en' ? enEP : zhEP
}

export function applyLocale(locale: Locale): void {
  if (typeof document !== 'undefined') document.documentElement.lang = locale
}

/** The page's language and its switch (vue-i18n, Element Plus, <html lang>, the saved choice). */
export function useConsoleLocale() {
  const { locale } = useI18n({ useScope: 'global' })
  const current = computed<Locale>(() => (isLocale(locale.value) ? locale.value : DEFAULT_LOCALE))
  const other = computed<Locale>(() => (current.value === 'en' ? 'zh-CN' : 'en'))
  const element = computed(() => elementLocale(current.value))

  function setLocale(next: Locale): void {
    locale.value = next
    saveLocale(next)
    applyLocale(next)
  }

  return { current, other, element, setLocale, toggle: () => setLocale(other.value) }
}

/** Formatters bound to the page's language: money in fen shown as ¥ yuan with 2 decimals, etc. */
export function useConsoleFormat() {
  const { current } = useConsoleLocale()
  return {
    fen: formatFen,
    bps: formatBps,
    date: (iso: string) => formatDate(iso, current.value),
    dateTime: (iso: string) => formatDateTime(iso, current.value),
    period: (period: string) => formatPeriod(period, current.value),
  }
}
