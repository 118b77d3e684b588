#!/usr/bin/env node
/**
 * The resident pages' JavaScript budget: everything under dist/h5/ that /h5/ can load, gzipped
 * (level 6), must stay at or below 300 kB (300,000 bytes). Prints the figure — the JavaScript of
 * the first load (the entry and its preloads) and of every page together — and fails above it.
 * Also fails when the page points at a file outside /h5/ or one that was not built, or when a
 * built style or script loads a url(…) from another origin.
 *
 *   node scripts/bundle-budget.mjs [dist/h5] [--budget-kb 300]
 */
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { gzipSync } from 'node:zlib'

const args = process.argv.slice(2)
const budgetFlag = args.indexOf('--budget-kb')
const budgetKb = budgetFlag >= 0 ? Number(args[budgetFlag + 1]) : 300
const appDir = resolve(args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--budget-kb') ?? 'dist/h5')
const base = '/h5/'

function fail(message) {
  console.error(`bundle budget: ${message}`)
  process.exit(1)
}

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? walk(path) : [path]
  })
}

const gz = (path) => gzipSync(readFileSync(path), { level: 6 }).length
const kb = (bytes) => (bytes / 1000).toFixed(1)

const indexHtml = join(appDir, 'index.html')
if (!existsSync(indexHtml)) fail(`${indexHtml} is missing: run the build first`)
const html = readFileSync(indexHtml, 'utf8')

const referenced = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]).filter((url) => !url.startsWith('data:'))
for (const url of referenced) {
  if (/^(https?:)?\/\//.test(url)) fail(`index.html loads ${url} from another origin`)
  if (!url.startsWith(base)) fail(`index.html refers to ${url}, outside ${base}`)
  if (!existsSync(join(appDir, url.slice(base.length)))) fail(`index.html refers to ${url}, which was not built`)
}

// No request to third parties: no absolute URL in the built styles and scripts' url(…)s.
for (const path of walk(appDir).filter((p) => /\.(css|js)$/.test(p))) {
  const remote = readFileSync(path, 'utf8').match(/url\(\s*["']?(?:https?:)?\/\/[^)]*\)/)
  if (remote) fail(`${relative(appDir, path)} loads ${remote[0].slice(0, 80)} from another origin`)
}

const initial = referenced.filter((url) => url.endsWith('.js')).map((url) => join(appDir, url.slice(base.length)))
const allJs = walk(appDir).filter((path) => path.endsWith('.js'))
const initialGz = initial.reduce((sum, path) => sum + gz(path), 0)
const totalGz = allJs.reduce((sum, path) => sum + gz(path), 0)

const rows = allJs.map((path) => [relative(appDir, path), gz(path)]).sort((a, b) => b[1] - a[1])
console.log(`JavaScript of ${base} (gzip -6):`)
for (const [name, size] of rows.slice(0, 8)) console.log(`  ${kb(size).padStart(7)} kB  ${name}`)
if (rows.length > 8) console.log(`  … and ${rows.length - 8} smaller files`)
console.log(`first load: ${kb(initialGz)} kB; every page together: ${kb(totalGz)} kB; budget ${budgetKb} kB`)

if (totalGz > budgetKb * 1000) fail(`${kb(totalGz)} kB of JavaScript is over the ${budgetKb} kB budget`)
console.log('bundle budget: ok')
