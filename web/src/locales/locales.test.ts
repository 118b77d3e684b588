/**
 * The catalogues: zh-CN and English have exactly the same keys, no empty text, valid message
 * syntax, and every key the code names exists (the pages' tests, in strict i18n, catch the keys
 * that are built at run time).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { catalogueKeys, createAppI18n, messages } from '@/i18n'
import { routes, SECTIONS } from '@/h5/router'
import en from './en'
import zhCN from './zh-CN'

const SRC = join(__dirname, '..')

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    // The desk console has its own catalogue and its own test (src/console/catalogue.test.ts).
    if (statSync(path).isDirectory()) return name === 'console' ? [] : sourceFiles(path)
    return /\.(vue|ts)$/.test(name) && !name.endsWith('.test.ts') ? [path] : []
  })
}

function leaf(catalogue: object, key: string): unknown {
  return key.split('.').reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part], catalogue)
}

describe('the catalogues', () => {
  it('have exactly the same keys', () => {
    expect(catalogueKeys(en).sort()).toEqual(catalogueKeys(zhCN).sort())
  })

  it('have no empty text', () => {
    for (const [locale, catalogue] of Object.entries(messages)) {
      for (const key of catalogueKeys(catalogue)) {
        expect(String(leaf(catalogue, key)).trim(), `${locale}: ${key}`).not.toBe('')
      }
    }
  })

  it('compile, with the same placeholders in both languages', () => {
    const i18n = createAppI18n({ strict: true })
    for (const key of catalogueKeys(zhCN)) {
      const placeholders = (text: unknown) => [...String(text).matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort()
      expect(placeholders(leaf(en, key)), key).toEqual(placeholders(leaf(zhCN, key)))
      for (const locale of ['zh-CN', 'en'] as const) {
        i18n.global.locale.value = locale
        expect(() => i18n.global.t(key, { name: 'x', reason: 'x', code: 'x', year: 2026 }), `${locale}: ${key}`).not.toThrow()
      }
    }
  })

  function usedKeys(): Set<string> {
    const used = new Set<string>()
    for (const file of sourceFiles(SRC)) {
      const text = readFileSync(file, 'utf8')
      for (const match of text.matchAll(/\bte?\(\s*'([a-zA-Z][\w.]*)'/g)) used.add(match[1]!)
    }
    for (const route of routes().flatMap((r) => [r, ...(r.children ?? [])])) {
      if (route.meta?.title) used.add(route.meta.title)
    }
    for (const section of SECTIONS) {
      used.add(`nav.${section.name}`)
      used.add(`titles.${section.name}`)
      if (section.name !== 'household' && section.name !== 'books') used.add(`placeholder.${section.name}`)
    }
    return used
  }

  it('hold every key the code names', () => {
    const used = usedKeys()
    expect(used.size).toBeGreaterThan(50)
    const keys = new Set(catalogueKeys(zhCN))
    expect([...used].filter((key) => !keys.has(key))).toEqual([])
  })

  it('hold no key the code does not use', () => {
    // Keys built at run time from data: a payment's method, an income's kind.
    const dynamic = [
      'household.method.',
      'books.incomeKind.',
      'repairs.category.',
      'repairs.urgency.',
      'repairs.status.',
      'fund.source.',
      'fund.grantStatus.',
      'expenses.status.',
    ]
    const used = usedKeys()
    const unused = catalogueKeys(zhCN).filter((key) => !used.has(key) && !dynamic.some((prefix) => key.startsWith(prefix)))
    expect(unused).toEqual([])
  })
})
