/**
 * The runtime configuration the front door serves at /config.json — never baked into the bundle,
 * so one build runs against any Keycloak.
 */
export interface RuntimeConfig {
  keycloakUrl: string
  realm: string
  clientId: string
}

export class ConfigError extends Error {}

export function parseRuntimeConfig(value: unknown): RuntimeConfig {
  if (!value || typeof value !== 'object') throw new ConfigError('config.json is not an object')
  const record = value as Record<string, unknown>
  const field = (name: keyof RuntimeConfig): string => {
    const v = record[name]
    if (typeof v !== 'string' || !v.trim()) throw new ConfigError(`config.json: "${name}" must be a non-empty string`)
    return v.trim()
  }
  const keycloakUrl = field('keycloakUrl').replace(/\/+$/, '')
  if (!/^https?:\/\//.test(keycloakUrl)) throw new ConfigError('config.json: "keycloakUrl" must be an http(s) URL')
  return { keycloakUrl, realm: field('realm'), clientId: field('clientId') }
}

export async function loadRuntimeConfig(fetchFn: typeof fetch = globalThis.fetch.bind(globalThis)): Promise<RuntimeConfig> {
  const response = await fetchFn('/config.json', { cache: 'no-store', headers: { Accept: 'application/json' } })
  if (!response.ok) throw new ConfigError(`/config.json answered ${response.status}`)
  return parseRuntimeConfig(await response.json())
}
