import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../../core/config/load.js'
import { ConfigError } from '../../../core/errors.js'
import { gatewayConfigSchema } from '../../../gateway/config.js'

/** Loads a gateway config through the real loader, with env overrides as the only input. */
function load(env: Record<string, string>) {
  return loadConfig({ schema: gatewayConfigSchema, env })
}

function configError(env: Record<string, string>): ConfigError {
  try {
    load(env)
  } catch (err) {
    if (err instanceof ConfigError) return err
    throw err
  }
  throw new Error('expected a ConfigError')
}

const TLS = {
  PULSEWIRE__MQTT__TLS__CERT_FILE: 'server.pem',
  PULSEWIRE__MQTT__TLS__KEY_FILE: 'server.key',
}

describe('gateway > config > listeners (issue #10, finding 3)', () => {
  it('keeps plaintext TCP on by default; tcp: false with TLS is a TLS-only gateway', () => {
    expect(load({}).mqtt.tcp).toBe(true)
    const tlsOnly = load({ PULSEWIRE__MQTT__TCP: 'false', PULSEWIRE__MQTT__WEBSOCKET_PORT: 'false', ...TLS })
    expect(tlsOnly.mqtt).toMatchObject({ tcp: false, websocketPort: false, tls: { port: 8883 } })
  })

  it('refuses a config with no listener at all, saying which keys to change', () => {
    const error = configError({ PULSEWIRE__MQTT__TCP: 'false', PULSEWIRE__MQTT__WEBSOCKET_PORT: 'false' })
    expect(error.issues).toEqual([
      {
        path: 'mqtt.tcp',
        message:
          'no MQTT listener: tcp is false, no tls is configured and websocketPort is false; enable at least one',
      },
    ])
  })

  it('refuses requireClientCertificate without a CA to verify certificates with', () => {
    const error = configError({ ...TLS, PULSEWIRE__MQTT__TLS__REQUIRE_CLIENT_CERTIFICATE: 'true' })
    expect(error.issues.map((i) => i.path)).toEqual(['mqtt.tls.requireClientCertificate'])
    expect(error.message).toContain('needs caFile')
  })
})
