import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { encodeTelemetry, decodeTelemetry, type TelemetryEnvelope } from '../../../core/telemetry/envelope.js'
import { repoRoot } from '../../helpers/cli.js'
import { protoFixtures } from '../../helpers/fixtures.js'

// An independent check of the schema and the generated code: Debian's protoc (the reference
// implementation) compiles the .proto files and reads and writes the same bytes as Pulsewire.
const protoDir = join(repoRoot, 'proto')
const telemetryProto = 'pulsewire/telemetry/v1/telemetry.proto'
const alertsProto = 'pulsewire/alerts/v1/alerts.proto'

function protoc(args: string[], input?: Buffer | string): Buffer {
  const result = spawnSync('protoc', [`-I${protoDir}`, ...args], { input })
  if (result.status !== 0) throw new Error(`protoc ${args.join(' ')} failed: ${result.stderr.toString()}`)
  return result.stdout
}

describe('integration > proto > protoc interoperability', () => {
  it('compiles every .proto file with protoc', () => {
    expect(() => protoc(['--descriptor_set_out=/dev/null', telemetryProto, alertsProto])).not.toThrow()
  })

  it.each(protoFixtures('telemetry.v1').map((f) => [f.name, f] as const))(
    '%s: protoc --decode reads what Pulsewire encodes, field for field',
    (_name, fixture) => {
      const envelope = fixture.expected as TelemetryEnvelope
      const ours = protoc(
        ['--decode=pulsewire.telemetry.v1.Telemetry', telemetryProto],
        Buffer.from(encodeTelemetry(envelope)),
      )
      const reference = protoc(['--decode=pulsewire.telemetry.v1.Telemetry', telemetryProto], fixture.payload)
      expect(ours.toString()).toBe(reference.toString())
    },
  )

  it.each(protoFixtures('telemetry.v1').map((f) => [f.name, f] as const))(
    '%s: Pulsewire decodes what protoc --encode writes',
    (_name, fixture) => {
      const bytes = protoc(['--encode=pulsewire.telemetry.v1.Telemetry', telemetryProto], fixture.textFormat)
      expect(bytes.equals(fixture.payload)).toBe(true)
      expect(decodeTelemetry(bytes)).toEqual({ ok: true, value: fixture.expected })
    },
  )
})
