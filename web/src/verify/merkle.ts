/**
 * RFC 6962 / RFC 9162 Merkle trees, as services/shared/xinyi_shared/transparency/merkle.py: leaf hash
 * SHA-256(0x00 || data), node hash SHA-256(0x01 || left || right), proofs from the leaf up.
 */
import { concat, equal, sha256 } from './bytes'

export const HASH_SIZE = 32

export class ProofError extends Error {}
/** A well-formed proof that leads to another root. */
export class RootMismatchError extends ProofError {}

export const leafHash = (data: Uint8Array) => sha256(concat(Uint8Array.of(0), data))
export const nodeHash = (left: Uint8Array, right: Uint8Array) => sha256(concat(Uint8Array.of(1), left, right))
export const emptyRoot = () => sha256(new Uint8Array())

function checkHash(value: Uint8Array, what: string): void {
  if (!(value instanceof Uint8Array) || value.length !== HASH_SIZE) throw new ProofError(`${what} is not a ${HASH_SIZE}-byte hash`)
}

const isInt = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n)

/** RFC 9162 §2.1.3.2: throws ProofError unless `proof` shows `leaf` at `index` in the tree `root` of `size`. */
export async function verifyInclusion(leaf: Uint8Array, index: number, size: number, proof: Uint8Array[], root: Uint8Array): Promise<void> {
  checkHash(leaf, 'the leaf hash')
  checkHash(root, 'the root hash')
  proof.forEach((sibling, position) => checkHash(sibling, `inclusion proof element ${position}`))
  if (!isInt(index) || !isInt(size)) throw new ProofError('the leaf index and the tree size must be integers')
  if (!(index >= 0 && index < size)) throw new ProofError(`leaf index ${index} is not below tree size ${size}`)
  // Sizes up to 2**53 fit a double; shifts are done by division to stay beyond 32 bits.
  let fn = index
  let sn = size - 1
  const odd = (n: number) => n % 2 === 1
  const half = (n: number) => Math.floor(n / 2)
  let computed = leaf
  for (const sibling of proof) {
    if (sn === 0) throw new ProofError(`the inclusion proof has ${proof.length} hashes, more than the tree of size ${size} needs`)
    if (odd(fn) || fn === sn) {
      computed = await nodeHash(sibling, computed)
      if (!odd(fn)) {
        while (!odd(fn) && fn !== 0) {
          fn = half(fn)
          sn = half(sn)
        }
      }
    } else {
      computed = await nodeHash(computed, sibling)
    }
    fn = half(fn)
    sn = half(sn)
  }
  if (sn !== 0) throw new ProofError(`the inclusion proof has ${proof.length} hashes, fewer than the tree of size ${size} needs`)
  if (!equal(computed, root)) throw new RootMismatchError('the inclusion proof does not lead to the root hash')
}

/** RFC 9162 §2.1.4.2: throws ProofError unless (`oldSize`, `oldRoot`) is a prefix of (`newSize`, `newRoot`). */
export async function verifyConsistency(
  oldSize: number,
  newSize: number,
  oldRoot: Uint8Array,
  newRoot: Uint8Array,
  proof: Uint8Array[],
): Promise<void> {
  checkHash(oldRoot, 'the old root hash')
  checkHash(newRoot, 'the new root hash')
  proof.forEach((element, position) => checkHash(element, `consistency proof element ${position}`))
  if (!isInt(oldSize) || !isInt(newSize) || !(oldSize >= 0 && oldSize <= newSize)) {
    throw new ProofError(`old tree size ${oldSize} is not between 0 and the new tree size ${newSize}`)
  }
  if (oldSize === newSize || oldSize === 0) {
    if (proof.length) throw new ProofError(`a consistency proof from size ${oldSize} to ${newSize} must be empty`)
    if (oldSize === 0 && !equal(oldRoot, await emptyRoot())) throw new ProofError('the root hash of the empty tree is not SHA-256 of nothing')
    if (oldSize === newSize && !equal(oldRoot, newRoot)) throw new RootMismatchError(`two trees of size ${oldSize} have different root hashes`)
    return
  }
  if (!proof.length) throw new ProofError('the consistency proof is empty')
  const path = [...proof]
  const powerOfTwo = Number.isInteger(Math.log2(oldSize)) && 2 ** Math.log2(oldSize) === oldSize
  if (powerOfTwo) path.unshift(oldRoot)
  const odd = (n: number) => n % 2 === 1
  const half = (n: number) => Math.floor(n / 2)
  let fn = oldSize - 1
  let sn = newSize - 1
  while (odd(fn)) {
    fn = half(fn)
    sn = half(sn)
  }
  let first = path[0]!
  let second = path[0]!
  for (const element of path.slice(1)) {
    if (sn === 0) throw new ProofError(`the consistency proof has ${proof.length} hashes, more than it needs`)
    if (odd(fn) || fn === sn) {
      first = await nodeHash(element, first)
      second = await nodeHash(element, second)
      if (!odd(fn)) {
        while (!odd(fn) && fn !== 0) {
          fn = half(fn)
          sn = half(sn)
        }
      }
    } else {
      second = await nodeHash(second, element)
    }
    fn = half(fn)
    sn = half(sn)
  }
  if (sn !== 0) throw new ProofError(`the consistency proof has ${proof.length} hashes, fewer than it needs`)
  if (!equal(first, oldRoot)) throw new RootMismatchError(`the consistency proof does not lead to the old root hash (size ${oldSize})`)
  if (!equal(second, newRoot)) throw new RootMismatchError(`the consistency proof does not lead to the new root hash (size ${newSize})`)
}
