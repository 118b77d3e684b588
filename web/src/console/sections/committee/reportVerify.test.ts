import { describe, expect, it } from 'vitest'
import { concat, sha256, toBase64, toHex, utf8 } from '@/verify/bytes'
import { canonicalJson } from '@/verify/entries'
import { keyId } from '@/verify/note'
import { verifyReport } from './reportVerify'
import type { SignedReport } from './types'

async function signer(name: string) {
  const pair = (await crypto.subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify'])) as CryptoKeyPair
  const publicKey = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey))
  const id = await keyId(name, 1, publicKey)
  const vkey = `${name}+${id.toString(16).padStart(8, '0')}+${toBase64(concat(Uint8Array.of(1), publicKey))}`
  const sign = async (text: string) => {
    const signature = new Uint8Array(await crypto.subtle.sign('Ed25519', pair.privateKey, utf8(text) as Uint8Array<ArrayBuffer>))
    const idBytes = Uint8Array.of(id >>> 24, (id >>> 16) & 255, (id >>> 8) & 255, id & 255)
    return `${text}\n\u2014 ${name} ${toBase64(concat(idBytes, signature))}\n`
  }
  return { vkey, sign }
}

async function signedReport(report: Record<string, unknown>, sign: (text: string) => Promise<string>, vkey: string): Promise<SignedReport> {
  const digest = toHex(await sha256(utf8(canonicalJson(report))))
  const note = await sign(`xinyi-governance-report/v1\nshuangliu\n2026-10\n2026-11-01T00:00:00Z\nsha256 ${digest}\n`)
  return { report, report_sha256: digest, signed_note: note, verifier_key: vkey }
}

const report = { format: 'xinyi-governance-report/v1', district_code: 'shuangliu', period: '2026-10', estates: [{ code: '金河', n: 3 }] }

describe('the signed monthly report, checked in the browser', () => {
  it('verifies a report signed by the published key', async () => {
    const { vkey, sign } = await signer('xinyi.example/governance')
    const answer = await signedReport(report, sign, vkey)
    const check = await verifyReport(answer, vkey)
    expect(check).toMatchObject({ ok: true, keyName: 'xinyi.example/governance', digest: answer.report_sha256 })
  })

  it('refuses a report changed after signing', async () => {
    const { vkey, sign } = await signer('xinyi.example/governance')
    const answer = await signedReport(report, sign, vkey)
    const changed = { ...answer, report: { ...report, period: '2026-09' } }
    expect(await verifyReport(changed, vkey)).toMatchObject({ ok: false, reason: 'digest' })
  })

  it('refuses a report signed by another key than the published one, even if the answer names it', async () => {
    const published = await signer('xinyi.example/governance')
    const other = await signer('xinyi.example/governance')
    const answer = await signedReport(report, other.sign, other.vkey)
    expect(await verifyReport(answer, published.vkey)).toMatchObject({ ok: false, reason: 'signature' })
  })

  it('refuses a signed note that names another digest', async () => {
    const { vkey, sign } = await signer('xinyi.example/governance')
    const answer = await signedReport(report, sign, vkey)
    const other = await signedReport({ ...report, period: '2026-09' }, sign, vkey)
    expect(await verifyReport({ ...answer, signed_note: other.signed_note }, vkey)).toMatchObject({ ok: false, reason: 'not_named' })
  })
})
