import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { connect as connectTcp, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decodeTelemetry, encodeTelemetry } from '../../../core/telemetry/envelope.js'
import { CHANNELS } from '../../../core/telemetry/topics.js'
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js'
import { tapChannels, type Tap } from '../../helpers/kafka-tap.js'
import { eventually, testKafka, unique } from '../../helpers/services.js'

// Listeners (issue #10, finding 3) on real sockets: TLS only (`tcp: false`), and mTLS where a
// verified client certificate's CN is the device id. Keys and certificates are made here, at test
// time, with openssl, in a temporary directory: none is committed.
const dir = mkdtempSync(join(tmpdir(), 'pulsewire-mtls-'))
const file = (name: string): string => join(dir, name)
const openssl = (...args: string[]): void => {
  execFileSync('openssl', args, { stdio: 'ignore' })
}
const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']

function makeCa(name: string): void {
  openssl(
    ...['req', '-x509', ...EC, '-days', '1', '-subj', `/CN=${name}`],
    ...['-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign'],
    ...['-keyout', file(`${name}.key`), '-out', file(`${name}.pem`)],
  )
}

function makeClientCert(ca: string, cn: string, name: string): void {
  openssl('req', ...EC, '-subj', `/CN=${cn}`, '-keyout', file(`${name}.key`), '-out', file(`${name}.csr`))
  openssl(
    ...['x509', '-req', '-in', file(`${name}.csr`), '-CA', file(`${ca}.pem`), '-CAkey', file(`${ca}.key`)],
    ...['-CAcreateserial', '-days', '1', '-out', file(`${name}.pem`)],
  )
}

const run = unique('tls')
const certDevice = `${run}-cert` // connects with its certificate, no password
const other = `${run}-other` // a second enrolled device: a certificate for it is not one for certDevice
const passwordDevice = `${run}-pw` // no certificate: its secret, as before
const tlsOnlyDevice = `${run}-only`

openssl(
  ...[
    'req',
    '-x509',
    ...EC,
    '-days',
    '1',
    '-subj',
    '/CN=127.0.0.1',
    '-addext',
    'subjectAltName=IP:127.0.0.1',
  ],
  ...['-keyout', file('server.key'), '-out', file('server.pem')],
)
makeCa('fleet-ca')
makeCa('stranger-ca')
makeClientCert('fleet-ca', certDevice, 'device')
makeClientCert('fleet-ca', other, 'other')
makeClientCert('stranger-ca', certDevice, 'forged')

const serverTls = { certFile: file('server.pem'), keyFile: file('server.key'), port: 0 }
const trustServer = { ca: readFileSync(file('server.pem')), rejectUnauthorized: true }
const clientCert = (name: string): IClientOptions => ({
  cert: readFileSync(file(`${name}.pem`)),
  key: readFileSync(file(`${name}.key`)),
})

function reading(deviceId: string, seq: number): Buffer {
  const now = Date.now()
  return Buffer.from(
    encodeTelemetry({
      deviceId,
      bootId: 'b',
      seq,
      deviceTsMs: now,
      deviceType: 'wearable',
      samples: [
        { metric: 'heart_rate', value: 70, ucum: '/min', quality: 'valid', tsMs: now, backfill: false },
      ],
    }),
  )
}

const tlsPort = (gateway: TestGateway): number =>
  gateway.service.listeners.bound().find((l) => l.name === 'tls')?.port ?? 0

type Attempt = { connected: true; client: MqttClient } | { connected: false; code?: number; error?: string }

/** One CONNECT over TLS: connected, refused with a CONNACK code, or closed/failed before any CONNACK. */
function attempt(gateway: TestGateway, deviceId: string, options: IClientOptions): Promise<Attempt> {
  return new Promise((resolve) => {
    const client = mqtt.connect(`mqtts://127.0.0.1:${tlsPort(gateway)}`, {
      clientId: deviceId,
      reconnectPeriod: 0,
      connectTimeout: 5_000,
      ...trustServer,
      ...options,
    })
    client.once('connect', () => resolve({ connected: true, client }))
    client.once('error', (err: Error & { code?: number | string }) => {
      client.end(true)
      resolve(
        typeof err.code === 'number'
          ? { connected: false, code: err.code }
          : { connected: false, error: err.message },
      )
    })
    client.once('close', () => resolve({ connected: false }))
  })
}

const seqsOf = (tap: Tap, deviceId: string): number[] =>
  tap.forKeys([deviceId]).map((r) => {
    const decoded = decodeTelemetry(r.value)
    return decoded.ok ? decoded.value.seq : -1
  })

let tap: Tap
const gateways: TestGateway[] = []
beforeAll(async () => {
  tap = await tapChannels(testKafka, [CHANNELS.vitals])
})
afterAll(async () => {
  await tap?.stop()
  for (const g of gateways) await g.stop()
})

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  await new Promise((resolve) => server.close(resolve))
  return typeof address === 'object' && address ? address.port : 0
}

describe('integration > gateway > TLS-only and mTLS listeners', () => {
  it('tcp: false leaves the plaintext port closed while TLS serves', async () => {
    const port = await freePort()
    const gateway = await startTestGateway([{ id: tlsOnlyDevice, type: 'wearable' }], {
      mqtt: { tcp: false, port, tls: serverTls },
    })
    gateways.push(gateway)
    expect(gateway.service.listeners.bound().map((l) => l.name)).toEqual(['tls'])
    const plain = await new Promise<string>((resolve) => {
      const socket = connectTcp(port, '127.0.0.1')
      socket.once('connect', () => (socket.destroy(), resolve('listening')))
      socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'))
    })
    expect(plain).toBe('ECONNREFUSED')
    const result = await attempt(gateway, tlsOnlyDevice, {
      username: tlsOnlyDevice,
      password: gateway.secrets.get(tlsOnlyDevice),
    })
    if (!result.connected) throw new Error(`TLS connect failed: ${JSON.stringify(result)}`)
    await result.client.publishAsync(`devices/${tlsOnlyDevice}/telemetry`, reading(tlsOnlyDevice, 1), {
      qos: 1,
    })
    await result.client.endAsync()
    await eventually(() => (seqsOf(tap, tlsOnlyDevice).length >= 1 ? true : undefined), 10_000)
  })

  describe('client certificates optional (caFile)', () => {
    let gateway: TestGateway
    beforeAll(async () => {
      gateway = await startTestGateway(
        [
          { id: certDevice, type: 'wearable' },
          { id: other, type: 'wearable' },
          { id: passwordDevice, type: 'wearable' },
        ],
        { mqtt: { tls: { ...serverTls, caFile: file('fleet-ca.pem') } } },
      )
      gateways.push(gateway)
    })
    const metrics = async (): Promise<string> => (await fetch(`${gateway.httpUrl}/metrics`)).text()

    it('a device with a verified certificate naming it connects without a password', async () => {
      const result = await attempt(gateway, certDevice, clientCert('device'))
      if (!result.connected) throw new Error(`certificate connect failed: ${JSON.stringify(result)}`)
      await result.client.publishAsync(`devices/${certDevice}/telemetry`, reading(certDevice, 1), { qos: 1 })
      await eventually(() => (seqsOf(tap, certDevice).length >= 1 ? true : undefined), 10_000)
      expect(seqsOf(tap, certDevice)).toEqual([1])
      // Revocation applies to certificate devices too: the store change closes the connection.
      const closed = new Promise<void>((resolve) => result.client.once('close', () => resolve()))
      gateway.deviceStore.revoke(certDevice)
      await closed
      expect(await attempt(gateway, certDevice, clientCert('device'))).toMatchObject({
        connected: false,
        code: 5,
      })
    })

    it('a certificate for another device id is refused with CONNACK 5, even with the right password', async () => {
      expect(await attempt(gateway, passwordDevice, clientCert('other'))).toMatchObject({
        connected: false,
        code: 5,
      })
      expect(
        await attempt(gateway, passwordDevice, {
          ...clientCert('other'),
          username: passwordDevice,
          password: gateway.secrets.get(passwordDevice),
        }),
      ).toMatchObject({ connected: false, code: 5 })
      expect(await metrics()).toMatch(
        /pulsewire_gateway_connect_attempts_total\{outcome="certificate_mismatch"[^}]*\} 2\b/,
      )
    })

    it('a certificate signed by another CA gets no MQTT session (closed after the handshake), counted', async () => {
      const result = await attempt(gateway, certDevice, clientCert('forged'))
      expect(result.connected).toBe(false)
      expect(result).not.toHaveProperty('code')
      expect(await metrics()).toMatch(
        /pulsewire_gateway_connections_refused_total\{reason="bad_certificate"[^}]*\} 1\b/,
      )
    })

    it('a device without a certificate still authenticates with its secret (and not without)', async () => {
      const result = await attempt(gateway, passwordDevice, {
        username: passwordDevice,
        password: gateway.secrets.get(passwordDevice),
      })
      if (!result.connected) throw new Error(`password connect failed: ${JSON.stringify(result)}`)
      await result.client.publishAsync(`devices/${passwordDevice}/telemetry`, reading(passwordDevice, 1), {
        qos: 1,
      })
      await result.client.endAsync()
      await eventually(() => (seqsOf(tap, passwordDevice).length >= 1 ? true : undefined), 10_000)
      expect(await attempt(gateway, passwordDevice, {})).toMatchObject({ connected: false, code: 5 })
    })
  })

  it('client certificates required: a client without one gets no MQTT session', async () => {
    const id = `${run}-req`
    const gateway = await startTestGateway([{ id, type: 'wearable' }], {
      mqtt: { tls: { ...serverTls, caFile: file('fleet-ca.pem'), requireClientCertificate: true } },
    })
    gateways.push(gateway)
    const result = await attempt(gateway, id, { username: id, password: gateway.secrets.get(id) })
    expect(result.connected).toBe(false)
    expect(result).not.toHaveProperty('code')
    const text = await (await fetch(`${gateway.httpUrl}/metrics`)).text()
    expect(text).toMatch(
      /pulsewire_gateway_connections_refused_total\{reason="certificate_required"[^}]*\} 1\b/,
    )
  })
})
