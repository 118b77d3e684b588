/**
 * The audit view's checks, in the browser with web/src/verify/: each checkpoint's signature against
 * the log's key (GET /log/key), each witness's cosignature against the witness keys registered
 * there, and a consistency proof between two checkpoints (GET /log/consistency).
 */
import { verifyConsistency, ProofError } from '@/verify/merkle'
import {
  COSIGNATURE_V1,
  NoteError,
  UnverifiedNoteError,
  checkpointOf,
  decodeHash,
  keyLabel,
  openCheckpoint,
  openNote,
  parseVerifierKey,
  type Verifier,
} from '@/verify/note'
import { logVerifier } from '@/verify/verify'
import type { ConsistencyBundle, LogKey } from './types'

export interface Keys {
  log: Verifier
  witnesses: { verifier: Verifier; name: string; retired: boolean }[]
}

export async function keysOf(key: LogKey): Promise<Keys> {
  const log = await logVerifier(key.log_key)
  const witnesses: Keys['witnesses'] = []
  for (const witness of key.witness_keys) {
    const verifier = await parseVerifierKey(witness.witness_key)
    if (verifier.signatureType === COSIGNATURE_V1) {
      witnesses.push({ verifier, name: witness.name, retired: witness.retired_at !== null })
    }
  }
  return { log, witnesses }
}

export interface WitnessCheck {
  /** The witness key's label (name+keyid). */
  witness: string
  /** cosigned: verified; missing: no cosignature by it; invalid: a cosignature that does not verify. */
  state: 'cosigned' | 'missing' | 'invalid'
  /** POSIX seconds of a verified cosignature. */
  timestamp: number | null
}

export interface CheckpointCheck {
  /** The log's signature verifies and the checkpoint names the log. */
  signed: boolean
  size: number | null
  detail: string | null
  witnesses: WitnessCheck[]
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error))

export async function checkCheckpoint(note: string, keys: Keys): Promise<CheckpointCheck> {
  let signed = false
  let size: number | null = null
  let detail: string | null = null
  try {
    size = (await openCheckpoint(note, keys.log)).size
    signed = true
  } catch (error) {
    if (!(error instanceof NoteError)) throw error
    detail = message(error)
    try {
      size = checkpointOf(note).size
    } catch {
      size = null
    }
  }
  const witnesses: WitnessCheck[] = []
  for (const { verifier } of keys.witnesses) {
    try {
      const opened = await openNote(note, [verifier])
      witnesses.push({ witness: keyLabel(verifier), state: 'cosigned', timestamp: Number(opened.verified[0]!.timestamp) })
    } catch (error) {
      if (error instanceof UnverifiedNoteError) witnesses.push({ witness: keyLabel(verifier), state: 'missing', timestamp: null })
      else if (error instanceof NoteError) witnesses.push({ witness: keyLabel(verifier), state: 'invalid', timestamp: null })
      else throw error
    }
  }
  return { signed, size, detail, witnesses }
}

export interface ConsistencyCheck {
  ok: boolean
  from: number | null
  to: number | null
  detail: string | null
}

/** Both notes signed by the log, and the older tree a prefix of the newer one. */
export async function checkConsistency(bundle: ConsistencyBundle, keys: Keys): Promise<ConsistencyCheck> {
  const result: ConsistencyCheck = { ok: false, from: null, to: null, detail: null }
  if (bundle.format !== 'xinyi-consistency/v1') {
    result.detail = `the bundle's format is ${JSON.stringify(bundle.format)}, not 'xinyi-consistency/v1'`
    return result
  }
  try {
    const older = await openCheckpoint(bundle.old, keys.log)
    const newer = await openCheckpoint(bundle.new, keys.log)
    result.from = older.size
    result.to = newer.size
    const proof = (bundle.proof ?? []).map((hash, i) => decodeHash(hash, `consistency proof element ${i}`))
    await verifyConsistency(older.size, newer.size, older.rootHash, newer.rootHash, proof)
    result.ok = true
  } catch (error) {
    if (!(error instanceof NoteError || error instanceof ProofError || error instanceof Error)) throw error
    result.detail = message(error)
  }
  return result
}
