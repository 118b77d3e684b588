import { describe, expect, it, vi } from 'vitest'
import { ConfigError, loadRuntimeConfig, parseRuntimeConfig } from './runtimeConfig'

const good = { keycloakUrl: 'http://127.0.0.1:18080/', realm: 'xinyi', clientId: 'xinyi-web' }

describe('the runtime configuration (/config.json)', () => {
  it('takes the three fields, the Keycloak address without its trailing slash', () => {
    expect(parseRuntimeConfig(good)).toEqual({
      keycloakUrl: 'http://127.0.0.1:18080',
      realm: 'xinyi',
      clientId: 'xinyi-web',
    })
  })

  it.each([
    [null],
    [{ ...good, realm: '' }],
    [{ ...good, clientId: 7 }],
    [{ ...good, keycloakUrl: 'javascript:alert(1)' }],
  ])('refuses %j', (value) => {
    expect(() => parseRuntimeConfig(value)).toThrow(ConfigError)
  })

  it('is fetched from /config.json at start, never cached', async () => {
    const fetchFn = vi.fn(async () => new Response(JSON.stringify(good), { status: 200 }))
    await expect(loadRuntimeConfig(fetchFn)).resolves.toMatchObject({ realm: 'xinyi' })
    expect(fetchFn).toHaveBeenCalledWith('/config.json', expect.objectContaining({ cache: 'no-store' }))
  })

  it('fails when the front door does not serve it', async () => {
    const fetchFn = vi.fn(async () => new Response('missing', { status: 404 }))
    await expect(loadRuntimeConfig(fetchFn)).rejects.toThrow(ConfigError)
  })
})
