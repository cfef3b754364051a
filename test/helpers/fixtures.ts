import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { repoRoot } from './cli.js'

export const PROTO_FIXTURES = join(repoRoot, 'test', 'fixtures', 'proto')

export interface ProtoFixture {
  name: string
  /** Bytes produced by `protoc --encode` from message.txtpb: independent of Pulsewire's encoder. */
  payload: Buffer
  textFormat: string
  expected: unknown
}

/** Golden payloads of one schema version; every later version must decode them unchanged. */
export function protoFixtures(version: string): ProtoFixture[] {
  const base = join(PROTO_FIXTURES, version)
  return readdirSync(base).map((name) => ({
    name,
    payload: readFileSync(join(base, name, 'payload.bin')),
    textFormat: readFileSync(join(base, name, 'message.txtpb'), 'utf8'),
    expected: JSON.parse(readFileSync(join(base, name, 'expected.json'), 'utf8')) as unknown,
  }))
}
