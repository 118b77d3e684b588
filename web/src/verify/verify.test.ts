// @vitest-environment node
/**
 * The browser verifier against the vectors the Python tests use: the Certificate Transparency Merkle
 * vectors (services/shared/tests/test_transparency_merkle.py), Go's signed-note example
 * (test_transparency_note.py) and bundles built by the Python code (fixture.json, written by
 * web/scripts/make-verify-fixture.py from the entries of test_transparency_verify.py).
 */
import { describe, expect, it } from 'vitest'
import { fromBase64, fromHex, toBase64, toHex, utf8 } from './bytes'
import { decodeOpening, entryFromJson, entryLeafBytes, entryLeafHash, householdCommitment } from './entries'
import { emptyRoot, leafHash, nodeHash, ProofError, RootMismatchError, verifyConsistency, verifyInclusion } from './merkle'
import { InvalidSignatureError, keyId, MalformedKeyError, openNote, parseVerifierKey, UnverifiedNoteError } from './note'
import { verifyBundle } from './verify'
import fixture from './fixture.json'

const CT_LEAVES = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f']
const CT_ROOTS = [
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
]
const CT_INCLUSION: [number, number, string[]][] = [
  [0, 8, ['96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
          '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
          '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4']],
  [5, 8, ['bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
          'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
          'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7']],
  [2, 3, ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125']],
  [1, 5, ['6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
          '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
          'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b']],
]
const CT_CONSISTENCY: [number, number, string[]][] = [
  [1, 1, []],
  [1, 8, ['96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
          '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
          '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4']],
  [6, 8, ['0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
          'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
          'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7']],
  [2, 5, ['5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
          'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b']],
]

const PETER_VKEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW'
const PETER_TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
const PETER_NOTE =
  PETER_TEXT + '\n' + '— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n'

const leaves = () => Promise.all(CT_LEAVES.map((hex) => leafHash(fromHex(hex))))
const flip = (bytes: Uint8Array) => {
  const copy = bytes.slice()
  copy[0] = copy[0]! ^ 1
  return copy
}

describe('Merkle trees (Certificate Transparency vectors)', () => {
  it('hashes the empty tree and leaves as RFC 6962', async () => {
    expect(toHex(await emptyRoot())).toBe(CT_ROOTS[0])
    expect(toHex(await leafHash(new Uint8Array()))).toBe(CT_ROOTS[1])
    expect(toHex(await nodeHash(await leafHash(fromHex('')), await leafHash(fromHex('00'))))).toBe(CT_ROOTS[2])
  })

  it.each(CT_INCLUSION)('verifies the inclusion of leaf %i in the tree of size %i', async (index, size, path) => {
    const leaf = (await leaves())[index]!
    const proof = path.map(fromHex)
    await verifyInclusion(leaf, index, size, proof, fromHex(CT_ROOTS[size]!))
    await expect(verifyInclusion(leaf, index, size, proof, flip(fromHex(CT_ROOTS[size]!)))).rejects.toThrow(RootMismatchError)
    await expect(verifyInclusion(leaf, index, size, [...proof, proof[0]!], fromHex(CT_ROOTS[size]!))).rejects.toThrow(ProofError)
    if (proof.length) {
      await expect(verifyInclusion(leaf, index, size, proof.slice(1), fromHex(CT_ROOTS[size]!))).rejects.toThrow(ProofError)
      await expect(verifyInclusion(leaf, index, size, [flip(proof[0]!), ...proof.slice(1)], fromHex(CT_ROOTS[size]!))).rejects.toThrow(
        RootMismatchError,
      )
    }
  })

  it.each(CT_CONSISTENCY)('verifies the consistency from size %i to %i', async (oldSize, newSize, path) => {
    const proof = path.map(fromHex)
    const [oldRoot, newRoot] = [fromHex(CT_ROOTS[oldSize]!), fromHex(CT_ROOTS[newSize]!)]
    await verifyConsistency(oldSize, newSize, oldRoot, newRoot, proof)
    await expect(verifyConsistency(oldSize, newSize, oldRoot, flip(newRoot), proof)).rejects.toThrow(ProofError)
    if (proof.length) {
      await expect(verifyConsistency(oldSize, newSize, oldRoot, newRoot, proof.slice(1))).rejects.toThrow(ProofError)
    }
  })

  it('refuses a leaf index outside the tree', async () => {
    const leaf = (await leaves())[0]!
    await expect(verifyInclusion(leaf, 8, 8, [], fromHex(CT_ROOTS[8]!))).rejects.toThrow('is not below tree size')
  })
})

describe('signed notes (Go sumdb/note example)', () => {
  it('computes the key id and opens the example note', async () => {
    const verifier = await parseVerifierKey(PETER_VKEY)
    expect(verifier.keyId).toBe(0xc74f20a3)
    expect(await keyId('PeterNeumann', 1, verifier.publicKey)).toBe(0xc74f20a3)
    const opened = await openNote(PETER_NOTE, [verifier])
    expect(opened.text).toBe(PETER_TEXT)
  })

  it('refuses an altered note, an unknown key and a wrong key id', async () => {
    const verifier = await parseVerifierKey(PETER_VKEY)
    await expect(openNote(PETER_NOTE.replace('problem,', 'problem;'), [verifier])).rejects.toThrow(InvalidSignatureError)
    await expect(openNote(PETER_NOTE, [await parseVerifierKey(fixture.log_key)])).rejects.toThrow(UnverifiedNoteError)
    await expect(parseVerifierKey(PETER_VKEY.replace('c74f20a3', 'c74f20a4'))).rejects.toThrow(MalformedKeyError)
    await expect(parseVerifierKey(PETER_VKEY.replace('Peter', 'Peter '))).rejects.toThrow(MalformedKeyError)
  })

  it('decodes base64 strictly', () => {
    expect(fromBase64('AA==')).toEqual(Uint8Array.of(0))
    expect(fromBase64('AB==')).toBeNull()
    expect(fromBase64('AA')).toBeNull()
    expect(toBase64(utf8('xinyi'))).toBe('eGlueWk=')
  })
})

describe('bundles built by the Python ledger code', () => {
  it.each(fixture.cases.map((c, i) => [i, c] as const))('case %i: entry, leaf and household as the Python', async (_, c) => {
    const entry = entryFromJson(c.bundle.entry)
    expect(new TextDecoder().decode(entryLeafBytes(entry))).toBe(c.leaf_bytes)
    expect(toBase64(await entryLeafHash(entry))).toBe(c.leaf_hash)
    const secret = decodeOpening(c.opening)
    expect(await householdCommitment(secret, entry.id, 1)).toBe(entry.lines[0]!.household)
  })

  it.each(fixture.cases.map((c, i) => [i, c] as const))('case %i verifies', async (_, c) => {
    const verdict = await verifyBundle(c.bundle, { logKey: fixture.log_key, opening: decodeOpening(c.opening) })
    expect(verdict.reasons).toEqual([])
    expect(verdict.ok).toBe(true)
    expect(verdict.householdLines.map((l) => l.line)).toEqual(c.household_lines)
    expect(verdict.checkpoint?.size).toBe(c.bundle.tree_size)
  })

  const good = fixture.cases[0]!
  const codes = async (bundle: unknown, opening = good.opening, logKey = fixture.log_key) =>
    (await verifyBundle(bundle, { logKey, opening: decodeOpening(opening) })).reasons.map((r) => r.code)
  const copy = () => JSON.parse(JSON.stringify(good.bundle)) as typeof good.bundle

  it('refuses another household, an altered entry, a forged checkpoint, a wrong proof', async () => {
    expect(await codes(good.bundle, good.other_opening)).toEqual(['household'])

    const altered = copy()
    altered.entry.lines[0]!.amount_fen += 1
    expect(await codes(altered)).toEqual(['leaf']) // the commitment binds the transaction and line, not the amount

    const forged = copy()
    forged.checkpoint = forged.checkpoint.replace('\n30\n', '\n31\n')
    expect(await codes(forged)).toContain('signature')

    const wrongProof = copy()
    wrongProof.inclusion_proof = [...wrongProof.inclusion_proof].reverse()
    expect(await codes(wrongProof)).toEqual(['root'])

    const noLeafHash: Record<string, unknown> = copy()
    delete noLeafHash.leaf_hash
    ;(noLeafHash.entry as { seq: number }).seq += 1
    expect(await codes(noLeafHash)).toEqual(['root'])

    expect(await codes({ ...copy(), format: 'other' })).toEqual(['format'])
    expect(await codes({ ...copy(), tree_size: 29 })).toEqual(['size'])
    expect(await codes({ ...copy(), entry: { ...copy().entry, estate: 'other' } })).toContain('estate')
  })

  it('refuses a checkpoint signed by another key and a witness key as the log key', async () => {
    await expect(verifyBundle(good.bundle, { logKey: fixture.witness_key })).rejects.toThrow(MalformedKeyError)
    expect(await codes(good.bundle, good.opening, PETER_VKEY)).toEqual(['signature', 'signature']) // the checkpoint and the older one
  })

  it('checks the witness cosignature when given the witness key', async () => {
    const verdict = await verifyBundle(good.bundle, { logKey: fixture.log_key, witnessKeys: [fixture.witness_key] })
    expect(verdict.ok).toBe(true)
    expect(verdict.cosignatures).toEqual([{ witness: 'supervisor.jinhe-lvzhou/witness+08e34473', timestamp: 1_767_225_630 }])
    const uncosigned = copy()
    uncosigned.checkpoint = uncosigned.checkpoint.replace(/— supervisor[^\n]*\n/, '')
    const warned = await verifyBundle(uncosigned, { logKey: fixture.log_key, witnessKeys: [fixture.witness_key] })
    expect(warned.ok).toBe(true)
    expect(warned.warnings).toEqual(['not co-signed by the witness (supervisor.jinhe-lvzhou/witness+08e34473)'])
    await expect(verifyBundle(good.bundle, { logKey: fixture.log_key, witnessKeys: [fixture.log_key] })).rejects.toThrow(MalformedKeyError)
  })

  it('refuses the proof of another transaction than the one asked', async () => {
    const asked = '00000000-0000-0000-0000-000000000009'
    const verdict = await verifyBundle(good.bundle, { logKey: fixture.log_key, transactionId: asked })
    expect(verdict.reasons.map((r) => r.code)).toEqual(['transaction'])
    expect((await verifyBundle(good.bundle, { logKey: fixture.log_key, transactionId: good.bundle.entry.id })).ok).toBe(true)
  })

  it('refuses a consistency proof that does not fit', async () => {
    const bad = copy() as typeof good.bundle & { consistency: { proof: string[] } }
    bad.consistency.proof = bad.consistency.proof.slice(1)
    expect(await codes(bad)).toEqual(['consistency'])
  })
})
