/**
 * C2SP signed notes and checkpoints (tlog-checkpoint), as transparency/note.py and checkpoint.py:
 * verifier keys `<name>+<key id>+base64(type || key)`, key id = SHA-256(name || "\n" || type || key)[:4],
 * signature lines `— <name> base64(key id || signature)`, Ed25519 through WebCrypto.
 */
import { concat, ed25519Verify, fromBase64, sha256, utf8 } from './bytes'
import { HASH_SIZE } from './merkle'

export const ED25519 = 0x01
export const COSIGNATURE_V1 = 0x04
const SIGNATURE_PREFIX = '\u2014 '
const MAX_SIGNATURES = 100

export class NoteError extends Error {}
export class MalformedKeyError extends NoteError {}
export class MalformedNoteError extends NoteError {}
export class InvalidSignatureError extends NoteError {}
export class UnverifiedNoteError extends NoteError {}

export interface Verifier {
  name: string
  keyId: number
  signatureType: number
  publicKey: Uint8Array
}

export const keyLabel = (v: Verifier) => `${v.name}+${v.keyId.toString(16).padStart(8, '0')}`

export function checkKeyName(name: string): string {
  if (typeof name !== 'string' || !name) throw new MalformedKeyError('a key name must not be empty')
  if (name.includes('+')) throw new MalformedKeyError(`a key name must not contain '+': ${name}`)
  for (const char of name) {
    const code = char.codePointAt(0)!
    if ((/\s/u.test(char) && char !== '\ufeff') || code < 0x20 || code === 0x7f || code === 0x85) {
      throw new MalformedKeyError(`a key name must not contain spaces or control characters: ${name}`)
    }
  }
  return name
}

export async function keyId(name: string, signatureType: number, publicKey: Uint8Array): Promise<number> {
  const digest = await sha256(concat(utf8(name + '\n'), Uint8Array.of(signatureType), publicKey))
  return ((digest[0]! << 24) >>> 0) + (digest[1]! << 16) + (digest[2]! << 8) + digest[3]!
}

export async function parseVerifierKey(vkey: string): Promise<Verifier> {
  if (typeof vkey !== 'string') throw new MalformedKeyError('a verifier key is text')
  const text = vkey.trim()
  const first = text.indexOf('+')
  const second = first < 0 ? -1 : text.indexOf('+', first + 1)
  if (second < 0) throw new MalformedKeyError('a key is <name>+<key id>+<base64 key>')
  const name = text.slice(0, first)
  const hex8 = text.slice(first + 1, second)
  checkKeyName(name)
  if (!/^[0-9a-fA-F]{8}$/.test(hex8)) throw new MalformedKeyError('a key id is 8 hexadecimal digits')
  const raw = fromBase64(text.slice(second + 1))
  if (!raw) throw new MalformedKeyError('not standard base64')
  if (raw.length !== 33 || (raw[0] !== ED25519 && raw[0] !== COSIGNATURE_V1)) {
    throw new MalformedKeyError('a verifier key holds a type byte (0x01 or 0x04) and a 32-byte Ed25519 key')
  }
  const publicKey = raw.slice(1)
  const id = await keyId(name, raw[0]!, publicKey)
  if (id !== parseInt(hex8, 16)) {
    throw new MalformedKeyError(`the key id ${hex8} does not match the key (it is ${id.toString(16).padStart(8, '0')})`)
  }
  return { name, keyId: id, signatureType: raw[0]!, publicKey }
}

export interface NoteSignature {
  name: string
  keyId: number
  signature: Uint8Array
}

function checkNoteCharacters(note: string): void {
  for (let i = 0; i < note.length; i++) {
    const code = note.charCodeAt(i)
    if (code < 0x20 && code !== 0x0a) throw new MalformedNoteError('a note must not contain control characters other than newline')
    if (code >= 0xd800 && code <= 0xdfff) {
      const pair = code <= 0xdbff && i + 1 < note.length && note.charCodeAt(i + 1) >= 0xdc00 && note.charCodeAt(i + 1) <= 0xdfff
      if (!pair) throw new MalformedNoteError('a note must be valid UTF-8')
      i++
    }
  }
}

export function parseSignatureLine(line: string): NoteSignature {
  if (!line.startsWith(SIGNATURE_PREFIX)) throw new MalformedNoteError('a signature line starts with an em dash and a space')
  const rest = line.slice(SIGNATURE_PREFIX.length)
  const space = rest.indexOf(' ')
  const name = space < 0 ? rest : rest.slice(0, space)
  const encoded = space < 0 ? '' : rest.slice(space + 1)
  try {
    checkKeyName(name)
  } catch (error) {
    throw new MalformedNoteError(`malformed signature line: ${(error as Error).message}`)
  }
  const raw = encoded ? fromBase64(encoded) : new Uint8Array()
  if (raw === null) throw new MalformedNoteError('malformed signature line: not standard base64')
  if (raw.length < 5) throw new MalformedNoteError('a signature line holds a key id and a signature in base64')
  const keyId = ((raw[0]! << 24) >>> 0) + (raw[1]! << 16) + (raw[2]! << 8) + raw[3]!
  return { name, keyId, signature: raw.slice(4) }
}

/** The text (ending in a newline) and the signature lines of a note, unchecked. */
export function splitNote(note: string): { text: string; signatures: NoteSignature[] } {
  checkNoteCharacters(note)
  const split = note.lastIndexOf('\n\n')
  if (split < 0) throw new MalformedNoteError('a signed note has a blank line between its text and its signatures')
  const text = note.slice(0, split + 1)
  const block = note.slice(split + 2)
  if (!block || !block.endsWith('\n')) throw new MalformedNoteError('a signed note ends with signature lines, each ending in a newline')
  const lines = block.slice(0, -1).split('\n')
  if (lines.length > MAX_SIGNATURES) throw new MalformedNoteError(`a note may carry at most ${MAX_SIGNATURES} signatures`)
  return { text, signatures: lines.map(parseSignatureLine) }
}

export function cosignatureMessage(text: string, timestamp: bigint): Uint8Array {
  return utf8(`cosignature/v1\ntime ${timestamp}\n${text}`)
}

/** The cosignature timestamp (0n for a plain signature) when it verifies, else null. */
async function verifyNoteSignature(verifier: Verifier, text: string, signature: Uint8Array): Promise<bigint | null> {
  if (verifier.signatureType === ED25519) return (await ed25519Verify(verifier.publicKey, signature, utf8(text))) ? 0n : null
  if (signature.length !== 8 + 64) return null
  const timestamp = new DataView(signature.buffer, signature.byteOffset, 8).getBigUint64(0)
  if (timestamp > 2n ** 63n - 1n) return null
  return (await ed25519Verify(verifier.publicKey, signature.slice(8), cosignatureMessage(text, timestamp))) ? timestamp : null
}

export interface OpenedNote {
  text: string
  verified: { verifier: Verifier; timestamp: bigint }[]
}

/** As Go's note.Open: unknown keys are set aside, a known key's bad signature throws, no known signer throws. */
export async function openNote(note: string, verifiers: Verifier[]): Promise<OpenedNote> {
  const { text, signatures } = splitNote(note)
  const verified: OpenedNote['verified'] = []
  const seen = new Set<string>()
  for (const signature of signatures) {
    const verifier = verifiers.find((v) => v.name === signature.name && v.keyId === signature.keyId)
    if (!verifier) continue
    const key = `${signature.name}+${signature.keyId}`
    if (seen.has(key)) continue
    seen.add(key)
    const timestamp = await verifyNoteSignature(verifier, text, signature.signature)
    if (timestamp === null) throw new InvalidSignatureError(`the signature by ${keyLabel(verifier)} does not verify`)
    verified.push({ verifier, timestamp })
  }
  if (!verified.length) {
    const names = [...new Set(signatures.map((s) => `${s.name}+${s.keyId.toString(16).padStart(8, '0')}`))].sort().join(', ')
    throw new UnverifiedNoteError(`the note is signed by none of the known keys (it is signed by ${names})`)
  }
  return { text, verified }
}

// ---------------------------------------------------------------- checkpoints

export class MalformedCheckpointError extends MalformedNoteError {}

export interface Checkpoint {
  origin: string
  size: number
  rootHash: Uint8Array
  rootBase64: string
}

/** A 32-byte hash in canonical standard base64; throws otherwise. */
export function decodeHash(text: unknown, what = 'hash'): Uint8Array {
  const raw = typeof text === 'string' ? fromBase64(text) : null
  if (!raw) throw new Error(`the ${what} is not base64`)
  if (raw.length !== HASH_SIZE) throw new Error(`the ${what} is not a canonical base64 ${HASH_SIZE}-byte hash`)
  return raw
}

export function parseCheckpoint(body: string): Checkpoint {
  if (typeof body !== 'string' || !body.endsWith('\n')) throw new MalformedCheckpointError('a checkpoint text ends with a newline')
  const lines = body.slice(0, -1).split('\n')
  if (lines.length < 3) throw new MalformedCheckpointError('a checkpoint has an origin, a size and a root hash line')
  const [origin, sizeText, rootText, ...extensions] = lines as [string, string, string, ...string[]]
  if (!/^(0|[1-9][0-9]*)$/.test(sizeText) || !Number.isSafeInteger(Number(sizeText))) {
    throw new MalformedCheckpointError(`the tree size ${sizeText} is not a decimal without leading zeros`)
  }
  let rootHash: Uint8Array
  try {
    rootHash = decodeHash(rootText, 'root hash')
  } catch (error) {
    throw new MalformedCheckpointError((error as Error).message)
  }
  try {
    checkKeyName(origin)
  } catch (error) {
    throw new MalformedCheckpointError(`invalid origin: ${(error as Error).message}`)
  }
  if (extensions.some((line) => !line)) throw new MalformedCheckpointError('an extension line is non-empty text without a newline')
  return { origin, size: Number(sizeText), rootHash, rootBase64: rootText }
}

/** The checkpoint a note carries, without checking any signature. */
export function checkpointOf(note: string): Checkpoint {
  return parseCheckpoint(splitNote(note).text)
}

/** The checkpoint of a note the log's key signed, named like that key; throws NoteError otherwise. */
export async function openCheckpoint(note: string, log: Verifier): Promise<Checkpoint> {
  if (log.signatureType !== ED25519) throw new MalformedKeyError('a log key is an Ed25519 note key (type 0x01)')
  const opened = await openNote(note, [log])
  const checkpoint = parseCheckpoint(opened.text)
  if (checkpoint.origin !== log.name) {
    throw new MalformedCheckpointError(`the checkpoint's origin ${checkpoint.origin} is not the log key's name ${log.name}`)
  }
  return checkpoint
}

export const estateOfOrigin = (origin: string) => origin.slice(origin.lastIndexOf('/') + 1)

