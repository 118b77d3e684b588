/** Byte helpers for the verifier: strict standard base64, base64url, hex, UTF-8, SHA-256 (WebCrypto). */

export function toBase64(bytes: Uint8Array): string {
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary)
}

function decode(text: string): Uint8Array {
  const binary = atob(text)
  return Uint8Array.from(binary, (char) => char.charCodeAt(0))
}

/** Standard base64 with canonical padding, as Python's `b64decode(validate=True)` plus a round trip; null if not. */
export function fromBase64(text: string): Uint8Array | null {
  if (typeof text !== 'string' || text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return null
  const bytes = decode(text)
  return toBase64(bytes) === text ? bytes : null
}

/** base64url with optional padding (a household opening), as Python's urlsafe_b64decode; null when it is not. */
export function fromBase64Url(text: string): Uint8Array | null {
  const unpadded = text.trim().replace(/=+$/, '')
  if (!unpadded || !/^[A-Za-z0-9_-]+$/.test(unpadded) || unpadded.length % 4 === 1) return null
  const std = unpadded.replace(/-/g, '+').replace(/_/g, '/')
  return decode(std + '='.repeat((4 - (std.length % 4)) % 4))
}

export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
}

export function fromHex(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16)
  return out
}

export const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text)

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const part of parts) {
    out.set(part, at)
    at += part.length
  }
  return out
}

export function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!
  return diff === 0
}

/** A copy in a fresh ArrayBuffer, as WebCrypto's typings want. */
function buffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.slice().buffer as ArrayBuffer
}

export async function sha256(data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', buffer(data)))
}

export async function hmacSha256(key: Uint8Array, message: Uint8Array): Promise<Uint8Array> {
  const k = await crypto.subtle.importKey('raw', buffer(key), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
  return new Uint8Array(await crypto.subtle.sign('HMAC', k, buffer(message)))
}

/** Ed25519 through WebCrypto; false when the signature does not verify (or the key is unusable). */
export async function ed25519Verify(publicKey: Uint8Array, signature: Uint8Array, message: Uint8Array): Promise<boolean> {
  try {
    const key = await crypto.subtle.importKey('raw', buffer(publicKey), { name: 'Ed25519' }, false, ['verify'])
    return await crypto.subtle.verify({ name: 'Ed25519' }, key, buffer(signature), buffer(message))
  } catch {
    return false
  }
}
