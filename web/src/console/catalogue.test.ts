/**
 * The console's catalogue (the shell's messages and every section's, merged under its name):
 * zh-CN and English have exactly the same keys, no empty text, the same placeholders, valid
 * message syntax, and every key the console's code names exists — the menu's labels and the
 * routes' titles included.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { catalogueKeys } from '@/i18n'
import { consoleMessages, createConsoleI18n } from './i18n'
import { routes } from './router'
import { SECTIONS } from './sections'

const ROOT = __dirname
const messages = consoleMessages()

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return name === 'test' ? [] : sourceFiles(path)
    return /\.(vue|ts)$/.test(name) && !name.endsWith('.test.ts') ? [path] : []
  })
}

function leaf(catalogue: object, key: string): unknown {
  return key.split('.').reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part], catalogue)
}

describe('the console catalogue', () => {
  it('has exactly the same keys in both languages, section by section', () => {
    for (const section of SECTIONS) {
      expect(catalogueKeys(section.messages.en).sort(), section.name).toEqual(catalogueKeys(section.messages['zh-CN']).sort())
    }
    expect(catalogueKeys(messages.en).sort()).toEqual(catalogueKeys(messages['zh-CN']).sort())
  })

  it('gives no section a name the shell uses', () => {
    const shell = ['common', 'auth', 'layout', 'sections', 'home', 'forbidden', 'notFound']
    expect(SECTIONS.map((s) => s.name).filter((name) => shell.includes(name))).toEqual([])
  })

  it('has no empty text, and compiles with the same placeholders in both languages', () => {
    const i18n = createConsoleI18n({ strict: true })
    for (const key of catalogueKeys(messages['zh-CN'])) {
      for (const locale of ['zh-CN', 'en'] as const) {
        expect(String(leaf(messages[locale], key)).trim(), `${locale}: ${key}`).not.toBe('')
      }
      const placeholders = (text: unknown) => [...String(text).matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort()
      expect(placeholders(leaf(messages.en, key)), key).toEqual(placeholders(leaf(messages['zh-CN'], key)))
      for (const locale of ['zh-CN', 'en'] as const) {
        i18n.global.locale.value = locale
        expect(() => i18n.global.t(key, {}), `${locale}: ${key}`).not.toThrow()
      }
    }
  })

  it('holds every key the console names: in code, menus and route titles', () => {
    const used = new Set<string>()
    for (const file of sourceFiles(ROOT)) {
      const text = readFileSync(file, 'utf8')
      for (const match of text.matchAll(/\bte?\(\s*'([a-zA-Z][\w.]*)'/g)) used.add(match[1]!)
    }
    for (const section of SECTIONS) {
      used.add(`sections.${section.name}`)
      for (const entry of section.nav) used.add(entry.label)
    }
    const walk = (records: ReturnType<typeof routes>): void => {
      for (const route of records) {
        if (typeof route.meta?.title === 'string') used.add(route.meta.title)
        walk(route.children ?? [])
      }
    }
    walk(routes())
    expect(used.size).toBeGreaterThan(30)
    const keys = new Set(catalogueKeys(messages['zh-CN']))
    expect([...used].filter((key) => !keys.has(key)).sort()).toEqual([])
  })
})
