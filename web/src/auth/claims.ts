/**
 * What the pages read from the access token: the realm roles and the caller's estates. Keycloak
 * puts the estates in the `organization` claim (a list of aliases, or a map alias → attributes when
 * a mapper adds ids), read the same way as `xinyi_shared.auth` on the server. The token is only
 * read here to shape the navigation; the APIs check it.
 */
export interface Claims {
  sub?: string
  exp?: number
  preferred_username?: string
  name?: string
  realm_access?: { roles?: unknown }
  organization?: unknown
  [claim: string]: unknown
}

/** The payload of a JWT, unverified (the APIs verify it). */
export function decodeJwtPayload(token: string): Claims {
  const part = token.split('.')[1]
  if (!part) throw new Error('not a JWT')
  const base64 = part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '=')
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0))
  const payload: unknown = JSON.parse(new TextDecoder().decode(bytes))
  if (!payload || typeof payload !== 'object') throw new Error('JWT payload is not an object')
  return payload as Claims
}

export function rolesOf(claims: Claims): string[] {
  const roles = claims.realm_access?.roles
  return Array.isArray(roles) ? roles.filter((r): r is string => typeof r === 'string') : []
}

/** The caller's estate codes, sorted. */
export function estatesOf(claims: Claims): string[] {
  const claim = claims.organization
  let codes: string[] = []
  if (Array.isArray(claim)) codes = claim.filter((c): c is string => typeof c === 'string')
  else if (typeof claim === 'string') codes = [claim]
  else if (claim && typeof claim === 'object') codes = Object.keys(claim)
  return [...new Set(codes)].sort()
}
