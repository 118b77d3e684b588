/**
 * vue-i18n set-up shared by the pages: zh-CN first, English switchable, the choice kept in the
 * browser. `strict` (the tests) turns a missing key into an exception instead of a key shown on
 * the page.
 */
import { createI18n } from 'vue-i18n'
import zhCN from '@/locales/zh-CN'
import en from '@/locales/en'
import type { Locale } from './format'

export const LOCALES: readonly Locale[] = ['zh-CN', 'en']
export const DEFAULT_LOCALE: Locale = 'zh-CN'
const STORAGE_KEY = 'xinyi.locale'

export const messages = { 'zh-CN': zhCN, en }

export class MissingMessageError extends Error {}

export interface AppI18nOptions {
  locale?: Locale
  /** Throw on a key missing from the locale's catalogue (tests) rather than fall back to zh-CN. */
  strict?: boolean
}

export function createAppI18n({ locale = DEFAULT_LOCALE, strict = false }: AppI18nOptions = {}) {
  return createI18n({
    legacy: false,
    locale,
    fallbackLocale: strict ? false : DEFAULT_LOCALE,
    messages,
    missingWarn: !strict,
    fallbackWarn: false,
    missing: strict
      ? (missingLocale: string, key: string) => {
          throw new MissingMessageError(`missing message "${key}" in ${missingLocale}`)
        }
      : reportMissing,
  })
}

/**
 * Outside the tests a missing key falls back (to zh-CN, else the key itself), and vue-i18n's own
 * warning exists in development builds only: tell the browser tests anyway, by a console error and
 * the keys on `<html data-i18n-missing="locale:key …">`.
 */
function reportMissing(missingLocale: string, key: string): void {
  console.error(`[i18n] missing message "${key}" in ${missingLocale}`)
  const root = globalThis.document?.documentElement
  if (!root) return
  const entry = `${missingLocale}:${key}`
  const seen = (root.dataset.i18nMissing ?? '').split(' ').filter(Boolean)
  if (!seen.includes(entry)) root.dataset.i18nMissing = [...seen, entry].join(' ')
}

export type AppI18n = ReturnType<typeof createAppI18n>

export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (LOCALES as readonly string[]).includes(value)
}

/** The language the user chose last time in this browser, else zh-CN. */
export function savedLocale(storage: Pick<Storage, 'getItem'> | undefined = globalThis.localStorage): Locale {
  try {
    const value = storage?.getItem(STORAGE_KEY)
    return isLocale(value) ? value : DEFAULT_LOCALE
  } catch {
    return DEFAULT_LOCALE
  }
}

export function saveLocale(locale: Locale, storage: Pick<Storage, 'setItem'> | undefined = globalThis.localStorage): void {
  try {
    storage?.setItem(STORAGE_KEY, locale)
  } catch {
    // Private browsing may refuse storage; the choice then lasts for the visit only.
  }
}

/** Every key of a catalogue, dotted: common.appName, household.method.cash, … */
export function catalogueKeys(catalogue: object, prefix = ''): string[] {
  return Object.entries(catalogue).flatMap(([key, value]) =>
    typeof value === 'object' && value !== null
      ? catalogueKeys(value as object, `${prefix}${key}.`)
      : [`${prefix}${key}`],
  )
}
