/**
 * Log entries and household commitments, as transparency/entries.py: the leaf is the canonical JSON of
 * the entry (keys sorted, no spaces, non-ASCII kept as UTF-8), a household line's commitment is
 * hex(HMAC-SHA256(opening, "xinyi-household/v1\n" || transaction id || "\n" || line number)).
 */
import { fromBase64Url, hmacSha256, toHex, utf8 } from './bytes'
import { leafHash } from './merkle'

export const OPENING_SIZE = 32

export class MalformedEntryError extends Error {}

export interface EntryLine {
  line: number
  account: string
  amount_fen: number
  household: string | null
}

export interface LedgerEntry {
  v: 1
  estate: string
  seq: number
  id: string
  period: string
  kind: string
  posted_at: string
  lines: EntryLine[]
}

const ENTRY_KEYS = ['estate', 'id', 'kind', 'lines', 'period', 'posted_at', 'seq', 'v']
const LINE_KEYS = ['account', 'amount_fen', 'household', 'line']
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
const PERIOD = /^[0-9]{4}-(0[1-9]|1[0-2])$/
const POSTED_AT = /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z$/
const COMMITMENT = /^[0-9a-f]{64}$/

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v)
const sameKeys = (o: Record<string, unknown>, keys: string[]) => JSON.stringify(Object.keys(o).sort()) === JSON.stringify(keys)

function text(value: unknown, what: string): string {
  if (typeof value !== 'string' || !value) throw new MalformedEntryError(`${what} is non-empty text`)
  return value
}

/** An entry from its leaf JSON, refusing anything but exactly the canonical fields and formats. */
export function entryFromJson(value: unknown): LedgerEntry {
  if (!isObject(value)) throw new MalformedEntryError('an entry is a JSON object')
  if (!sameKeys(value, ENTRY_KEYS)) {
    const keys = Object.keys(value)
    const missing = ENTRY_KEYS.filter((k) => !keys.includes(k))
    const extra = keys.filter((k) => !ENTRY_KEYS.includes(k)).sort()
    throw new MalformedEntryError(`entry fields differ: missing [${missing.join(', ')}], unexpected [${extra.join(', ')}]`)
  }
  if (value.v !== 1) throw new MalformedEntryError(`unknown entry version ${String(value.v)}`)
  const rawLines = value.lines
  if (!Array.isArray(rawLines) || !rawLines.length) throw new MalformedEntryError('lines is a non-empty list')
  const lines = rawLines.map((raw): EntryLine => {
    if (!isObject(raw) || !sameKeys(raw, LINE_KEYS)) throw new MalformedEntryError(`a line is an object with exactly [${LINE_KEYS.join(', ')}]`)
    if (!isInt(raw.line) || raw.line < 1) throw new MalformedEntryError('a line number is an integer of at least 1')
    text(raw.account, 'an account')
    if (!isInt(raw.amount_fen)) throw new MalformedEntryError('amount_fen is an integer')
    if (raw.household !== null && (typeof raw.household !== 'string' || !COMMITMENT.test(raw.household))) {
      throw new MalformedEntryError('a household commitment is 64 lowercase hexadecimal digits')
    }
    return { line: raw.line, account: raw.account as string, amount_fen: raw.amount_fen, household: raw.household as string | null }
  })
  for (let i = 1; i < lines.length; i++) {
    if (lines[i]!.line <= lines[i - 1]!.line) throw new MalformedEntryError('lines are listed once each, by ascending line number')
  }
  text(value.estate, 'the estate')
  if (!isInt(value.seq) || value.seq < 0) throw new MalformedEntryError('seq is an integer of at least 0')
  if (typeof value.id !== 'string' || !UUID.test(value.id)) {
    throw new MalformedEntryError('the transaction id is a UUID written in lowercase with hyphens')
  }
  if (typeof value.period !== 'string' || !PERIOD.test(value.period)) {
    throw new MalformedEntryError(`the period is a month written YYYY-MM, not ${String(value.period)}`)
  }
  text(value.kind, 'the kind')
  if (typeof value.posted_at !== 'string' || !POSTED_AT.test(value.posted_at) || Number.isNaN(Date.parse(value.posted_at))) {
    throw new MalformedEntryError('posted_at is a UTC time written YYYY-MM-DDTHH:MM:SS.ffffffZ')
  }
  return {
    v: 1,
    estate: value.estate as string,
    seq: value.seq,
    id: value.id,
    period: value.period,
    kind: value.kind as string,
    posted_at: value.posted_at,
    lines,
  }
}

/** Python's json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False). */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  if (isObject(value)) {
    const keys = Object.keys(value).sort()
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(',')}}`
  }
  return JSON.stringify(value)
}

export const entryLeafBytes = (entry: LedgerEntry) => utf8(canonicalJson(entry))
export const entryLeafHash = (entry: LedgerEntry) => leafHash(entryLeafBytes(entry))

/** A household opening (base64url, 32 bytes); throws when it is not one. */
export function decodeOpening(textValue: string): Uint8Array {
  const secret = fromBase64Url(textValue)
  if (!secret) throw new Error('an opening is base64url text (A-Z, a-z, 0-9, - and _)')
  if (secret.length !== OPENING_SIZE) throw new Error(`an opening decodes to ${OPENING_SIZE} bytes, this one to ${secret.length}`)
  return secret
}

export async function householdCommitment(secret: Uint8Array, transactionId: string, line: number): Promise<string> {
  return toHex(await hmacSha256(secret, utf8(`xinyi-household/v1\n${transactionId}\n${line}`)))
}

/** The lines of `entry` whose commitment the household's opening opens. */
export async function linesOfHousehold(entry: LedgerEntry, secret: Uint8Array): Promise<EntryLine[]> {
  const mine: EntryLine[] = []
  for (const line of entry.lines) {
    if (line.household !== null && line.household === (await householdCommitment(secret, entry.id, line.line))) mine.push(line)
  }
  return mine
}
