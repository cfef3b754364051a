// The gateway runs aedes 1.2.0, which speaks MQTT 3.1 and 3.1.1 only: an MQTT 5 CONNECT is refused
// before authentication, whoever sends it (ADR 0009, "Evaluation of aedes 2.0.0-beta.1"). This
// test states today's behaviour; moving to aedes 2 replaces it with the MQTT 5 device tests of
// that evaluation (branch aedes2, commit ddb106e).
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { encodeTelemetry } from '../../../core/telemetry/envelope.js'
import { CHANNELS } from '../../../core/telemetry/topics.js'
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js'
import { tapChannels, type Tap } from '../../helpers/kafka-tap.js'
import { eventually, testKafka, unique } from '../../helpers/services.js'
import { vitalsReading } from '../../helpers/telemetry-fixtures.js'

const device = unique('mqtt5')
let gateway: TestGateway
let tap: Tap

beforeAll(async () => {
  gateway = await startTestGateway([{ id: device, type: 'bedside-monitor' }])
  tap = await tapChannels(testKafka, [CHANNELS.vitals])
})

afterAll(async () => {
  await tap?.stop()
  await gateway?.stop()
})

const attempts = async (): Promise<string[]> =>
  (
    (await (await fetch(`${gateway.httpUrl}/metrics`)).text()).match(
      /^pulsewire_gateway_connect_attempts_total\{.*$/gm,
    ) ?? []
  ).sort()

/** mosquitto_pub's exit code and its "received CONNACK (n)" line. */
async function mosquittoPub(version: 'mqttv5' | 'mqttv311', password: string) {
  const run = promisify(execFile)
  const args = ['-h', '127.0.0.1', '-p', String(gateway.port), '-V', version, '-q', '1', '-d']
  const result = await run('mosquitto_pub', [
    ...args,
    ...['-i', device, '-u', device, '-P', password, '-t', `devices/${device}/telemetry`, '-m', 'x'],
  ]).then(
    ({ stdout }) => ({ code: 0, stdout }),
    (err: { code?: number; stdout?: string }) => ({ code: err.code ?? -1, stdout: err.stdout ?? '' }),
  )
  return { code: result.code, connack: /received CONNACK \((\d+)\)/.exec(result.stdout)?.[1] }
}

describe('integration > gateway > MQTT 5 devices on aedes 1.2 (refused)', () => {
  it('refuses an MQTT 5 CONNECT with "unsupported protocol version", right secret or not, before authenticating', async () => {
    const before = await attempts()
    const refusal = (password: string) =>
      gateway.connect(device, { protocolVersion: 5, password }).then(
        () => 'connected',
        (err: { code?: number }) => err.code,
      )
    // MQTT.js reads aedes' one-byte MQTT 3.1.1 refusal (return code 1) as reason code 1.
    expect(await refusal(gateway.secrets.get(device)!)).toBe(1)
    expect(await refusal('not-the-secret')).toBe(1)
    // mosquitto_pub -V mqttv5 reports it as CONNACK 132 (0x84, unsupported protocol version).
    expect(await mosquittoPub('mqttv5', gateway.secrets.get(device)!)).toEqual({ code: 132, connack: '132' })
    // aedes refuses on the protocol level before the authenticate hook: no attempt is counted.
    expect(await attempts()).toEqual(before)
  })

  it('serves the same device over MQTT 3.1.1: PUBACK once the reading is in Kafka', async () => {
    const client = await gateway.connect(device)
    const reading = Buffer.from(encodeTelemetry(vitalsReading(device, 1, Date.now())))
    await client.publishAsync(`devices/${device}/telemetry`, reading, { qos: 1 })
    const record = await eventually(
      () => tap.forKeys([device]).find((r) => r.topic === CHANNELS.vitals),
      10_000,
    )
    expect(record.value.equals(reading)).toBe(true)
    expect(await mosquittoPub('mqttv311', gateway.secrets.get(device)!)).toMatchObject({ connack: '0' })
  })
})
