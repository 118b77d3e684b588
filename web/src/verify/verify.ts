/**
 * The browser's `xinyi verify`: check a `xinyi-inclusion/v1` bundle against the estate's log key and the
 * household's opening, as services/shared/xinyi_shared/transparency/verify.py `verify_bundle` does. Every
 * failure is named (a `code` the page translates and the verifier's own English `detail`); the checks go
 * on after a failure so that all of them are reported.
 */
import { equal } from './bytes'
import { entryFromJson, entryLeafHash, linesOfHousehold, type EntryLine, type LedgerEntry } from './entries'
import { ProofError, RootMismatchError, verifyConsistency, verifyInclusion } from './merkle'
import {
  COSIGNATURE_V1,
  ED25519,
  InvalidSignatureError,
  MalformedKeyError,
  NoteError,
  checkpointOf,
  decodeHash,
  estateOfOrigin,
  keyLabel,
  openCheckpoint,
  openNote,
  UnverifiedNoteError,
  parseVerifierKey,
  type Checkpoint,
  type Verifier,
} from './note'

export const INCLUSION_FORMAT = 'xinyi-inclusion/v1'

export type ReasonCode =
  | 'transaction'
  | 'witness'
  | 'format'
  | 'signature'
  | 'entry'
  | 'estate'
  | 'size'
  | 'proof'
  | 'leaf'
  | 'root'
  | 'household'
  | 'consistency'

export interface Reason {
  code: ReasonCode
  detail: string
}

export interface Verdict {
  ok: boolean
  reasons: Reason[]
  checkpoint: Checkpoint | null
  previousCheckpoint: Checkpoint | null
  entry: LedgerEntry | null
  leafIndex: number | null
  householdLines: EntryLine[]
  /** Witnesses (the owners' supervisor) whose cosignature verified, with its POSIX time. */
  cosignatures: { witness: string; timestamp: number }[]
  /** What was not required and is missing (an uncosigned checkpoint). */
  warnings: string[]
}

export async function logVerifier(logKey: string): Promise<Verifier> {
  const verifier = await parseVerifierKey(logKey)
  if (verifier.signatureType !== ED25519) throw new MalformedKeyError(`${keyLabel(verifier)} is not a log key (signature type 0x01)`)
  return verifier
}

function decodeProof(value: unknown, what: string): Uint8Array[] {
  if (!Array.isArray(value)) throw new Error(`the ${what} is not a list`)
  return value.map((element, position) => {
    if (typeof element !== 'string') throw new Error(`element ${position} of the ${what} is not text`)
    return decodeHash(element, `element ${position} of the ${what}`)
  })
}

const integer = (v: unknown): number | null => (typeof v === 'number' && Number.isSafeInteger(v) ? v : null)
const message = (error: unknown) => (error instanceof Error ? error.message : String(error))

async function readCheckpoint(
  verdict: Verdict,
  note: unknown,
  log: Verifier,
  what: string,
): Promise<[Checkpoint | null, boolean]> {
  if (typeof note !== 'string') {
    verdict.reasons.push({ code: 'signature', detail: `the ${what} is not a signed note` })
    return [null, false]
  }
  try {
    return [await openCheckpoint(note, log), true]
  } catch (error) {
    const detail =
      error instanceof InvalidSignatureError
        ? `${what} signature does not verify with key ${keyLabel(log)}`
        : `${what} signature does not verify with key ${keyLabel(log)}: ${message(error)}`
    if (!(error instanceof NoteError)) throw error
    verdict.reasons.push({ code: 'signature', detail })
  }
  try {
    return [checkpointOf(note), false]
  } catch {
    return [null, false]
  }
}

/**
 * Verified means: the checkpoint is signed by `logKey` and names that log; the entry is well formed, of
 * the log's estate, and hashes to leaf `leaf_index` of the tree the checkpoint signs; with an `opening`,
 * at least one line of the entry is the household's; with `consistency`, the older checkpoint is a
 * prefix of this one. A malformed `logKey` (the caller's input) throws MalformedKeyError.
 */
export async function verifyBundle(
  bundle: unknown,
  {
    logKey,
    opening,
    witnessKeys = [],
    transactionId,
  }: {
    logKey: string | Verifier
    opening?: Uint8Array | null
    witnessKeys?: string[]
    /** The transaction the caller asked the proof of: the entry must be that one. */
    transactionId?: string
  },
): Promise<Verdict> {
  const log = typeof logKey === 'string' ? await logVerifier(logKey) : logKey
  const witnesses: Verifier[] = []
  for (const key of witnessKeys) {
    const verifier = await parseVerifierKey(key)
    if (verifier.signatureType !== COSIGNATURE_V1) {
      throw new MalformedKeyError(`${keyLabel(verifier)} is not a witness key (signature type 0x04)`)
    }
    witnesses.push(verifier)
  }
  const verdict: Verdict = {
    ok: false,
    reasons: [],
    checkpoint: null,
    previousCheckpoint: null,
    entry: null,
    leafIndex: null,
    householdLines: [],
    cosignatures: [],
    warnings: [],
  }
  const done = () => ({ ...verdict, ok: verdict.reasons.length === 0 })
  const fail = (code: ReasonCode, detail: string) => verdict.reasons.push({ code, detail })
  const b = (typeof bundle === 'object' && bundle !== null && !Array.isArray(bundle) ? bundle : null) as Record<string, unknown> | null
  if (!b || b.format !== INCLUSION_FORMAT) {
    fail('format', `the bundle's format is ${JSON.stringify(b ? b.format : typeof bundle)}, not '${INCLUSION_FORMAT}'`)
    return done()
  }

  const [checkpoint] = await readCheckpoint(verdict, b.checkpoint, log, 'checkpoint')
  verdict.checkpoint = checkpoint

  let entry: LedgerEntry | null = null
  try {
    entry = entryFromJson(b.entry)
  } catch (error) {
    fail('entry', `the entry is malformed: ${message(error)}`)
  }
  verdict.entry = entry
  if (entry && transactionId !== undefined && entry.id !== transactionId) {
    fail('transaction', `the proof is of transaction ${entry.id}, not ${transactionId}`)
  }
  if (entry && checkpoint && estateOfOrigin(checkpoint.origin) !== entry.estate) {
    fail('estate', `the entry is of estate '${entry.estate}', the checkpoint is of the log '${checkpoint.origin}'`)
  }

  const leafIndex = integer(b.leaf_index)
  const treeSize = integer(b.tree_size)
  if (leafIndex === null || treeSize === null) fail('size', 'leaf_index and tree_size must be integers')
  else if (checkpoint && treeSize !== checkpoint.size) {
    fail('size', `the bundle's tree size ${treeSize} is not the checkpoint's size ${checkpoint.size}`)
  }
  verdict.leafIndex = leafIndex

  let proof: Uint8Array[] | null = null
  try {
    proof = decodeProof(b.inclusion_proof, 'inclusion proof')
  } catch (error) {
    fail('proof', message(error))
  }

  if (entry && checkpoint && leafIndex !== null && proof) {
    await checkInclusion(fail, b.leaf_hash, entry, leafIndex, checkpoint, proof)
  }

  if (opening && entry) {
    verdict.householdLines = await linesOfHousehold(entry, opening)
    if (!verdict.householdLines.length) fail('household', 'no line of this entry belongs to the household')
  }

  if ('consistency' in b && checkpoint) await checkConsistency(verdict, fail, b.consistency, checkpoint, log)
  if (witnesses.length && checkpoint) await checkWitnesses(verdict, fail, b.checkpoint as string, witnesses)
  return done()
}

async function checkInclusion(
  fail: (code: ReasonCode, detail: string) => void,
  claimed: unknown,
  entry: LedgerEntry,
  leafIndex: number,
  checkpoint: Checkpoint,
  proof: Uint8Array[],
): Promise<void> {
  const computed = await entryLeafHash(entry)
  let leaf = computed
  if (claimed !== undefined && claimed !== null) {
    let claimedLeaf: Uint8Array
    try {
      claimedLeaf = decodeHash(typeof claimed === 'string' ? claimed : '', 'leaf hash')
    } catch (error) {
      fail('leaf', message(error))
      return
    }
    if (!equal(claimedLeaf, computed)) fail('leaf', 'entry does not hash to the leaf of the inclusion proof')
    leaf = claimedLeaf // check the proof on its own: is that leaf in the log?
  }
  const hasClaim = claimed !== undefined && claimed !== null
  try {
    await verifyInclusion(leaf, leafIndex, checkpoint.size, proof, checkpoint.rootHash)
  } catch (error) {
    if (error instanceof RootMismatchError) {
      fail('root', hasClaim ? 'inclusion proof does not lead to the checkpoint\'s root' : "the entry and its inclusion proof do not lead to the checkpoint's root")
    } else if (error instanceof ProofError) {
      fail('proof', `inclusion proof is invalid: ${error.message}`)
    } else throw error
    return
  }
}

async function checkConsistency(
  verdict: Verdict,
  fail: (code: ReasonCode, detail: string) => void,
  section: unknown,
  checkpoint: Checkpoint,
  log: Verifier,
): Promise<void> {
  if (typeof section !== 'object' || section === null || Array.isArray(section)) {
    fail('consistency', 'the consistency section is not an object')
    return
  }
  const s = section as Record<string, unknown>
  const [older] = await readCheckpoint(verdict, s.from_checkpoint, log, 'older checkpoint')
  verdict.previousCheckpoint = older
  let proof: Uint8Array[]
  try {
    proof = decodeProof(s.proof, 'consistency proof')
  } catch (error) {
    fail('consistency', message(error))
    return
  }
  if (!older) return
  if (older.origin !== checkpoint.origin) {
    fail('consistency', `the older checkpoint is of the log '${older.origin}', not '${checkpoint.origin}'`)
    return
  }
  try {
    await verifyConsistency(older.size, checkpoint.size, older.rootHash, checkpoint.rootHash, proof)
  } catch (error) {
    if (!(error instanceof ProofError)) throw error
    fail('consistency', `consistency proof from checkpoint size ${older.size} to ${checkpoint.size} fails: ${error.message}`)
    return
  }
}


/** As verify.py `_check_witnesses` without `require_witness`: a missing cosignature is a warning. */
async function checkWitnesses(
  verdict: Verdict,
  fail: (code: ReasonCode, detail: string) => void,
  note: string,
  witnesses: Verifier[],
): Promise<void> {
  const missing: Verifier[] = []
  for (const witness of witnesses) {
    try {
      const opened = await openNote(note, [witness])
      const timestamp = Number(opened.verified[0]!.timestamp)
      verdict.cosignatures.push({ witness: keyLabel(witness), timestamp })
    } catch (error) {
      if (error instanceof UnverifiedNoteError) missing.push(witness)
      else if (error instanceof NoteError) fail('witness', error.message)
      else throw error
    }
  }
  if (!verdict.cosignatures.length && missing.length) {
    verdict.warnings.push(`not co-signed by the witness (${missing.map(keyLabel).join(', ')})`)
  }
}
