import { describe, expect, it } from 'vitest'
import { fakeJwt } from '@/test/fixtures'
import { decodeJwtPayload, estatesOf, rolesOf } from './claims'

describe('the access token as the pages read it', () => {
  it('decodes a base64url payload with non-ASCII text', () => {
    const token = fakeJwt({ name: '李雷', preferred_username: 'li-lei', organization: ['jinhe-lvzhou'] })
    expect(decodeJwtPayload(token)).toMatchObject({ name: '李雷', preferred_username: 'li-lei' })
  })

  it('refuses what is not a JWT', () => {
    expect(() => decodeJwtPayload('nodots')).toThrow()
  })

  it('reads the estates from the organization claim: a list, a map or one alias', () => {
    expect(estatesOf({ organization: ['b-estate', 'a-estate', 'b-estate'] })).toEqual(['a-estate', 'b-estate'])
    expect(estatesOf({ organization: { 'jinhe-lvzhou': { id: ['x'] }, 'other-estate': {} } })).toEqual([
      'jinhe-lvzhou',
      'other-estate',
    ])
    expect(estatesOf({ organization: 'jinhe-lvzhou' })).toEqual(['jinhe-lvzhou'])
    expect(estatesOf({})).toEqual([])
    expect(estatesOf({ organization: [1, null, 'ok-estate'] })).toEqual(['ok-estate'])
  })

  it('reads the realm roles', () => {
    expect(rolesOf({ realm_access: { roles: ['resident', 'offline_access', 3] } })).toEqual(['resident', 'offline_access'])
    expect(rolesOf({})).toEqual([])
  })
})
