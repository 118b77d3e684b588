/**
 * The signed monthly district report checked in the browser, as `xinyi governance report` does
 * (services/cli/xinyi_cli/governance.py `verify_report`): the report's canonical JSON hashed again
 * must give `report_sha256`, and the signed note must verify under the key the service publishes
 * (GET /v1/governance/report-key, not the key the answer carries) and name that digest.
 */
import { sha256, toHex, utf8 } from '@/verify/bytes'
import { canonicalJson } from '@/verify/entries'
import { NoteError, openNote, parseVerifierKey } from '@/verify/note'
import type { SignedReport } from './types'

export type ReportCheck =
  | { ok: true; digest: string; keyName: string; noteText: string }
  | { ok: false; reason: 'digest' | 'signature' | 'not_named'; detail: string }

export async function verifyReport(answer: SignedReport, trustedKey: string): Promise<ReportCheck> {
  const digest = toHex(await sha256(utf8(canonicalJson(answer.report))))
  if (answer.report_sha256 !== digest) {
    return { ok: false, reason: 'digest', detail: `sha256 ${digest} ≠ ${answer.report_sha256}` }
  }
  let text: string
  let keyName: string
  try {
    const verifier = await parseVerifierKey(trustedKey)
    const opened = await openNote(String(answer.signed_note ?? ''), [verifier])
    text = opened.text
    keyName = verifier.name
  } catch (error) {
    if (error instanceof NoteError) return { ok: false, reason: 'signature', detail: error.message }
    throw error
  }
  if (!text.endsWith(`sha256 ${digest}\n`)) {
    return { ok: false, reason: 'not_named', detail: text }
  }
  return { ok: true, digest, keyName, noteText: text }
}
