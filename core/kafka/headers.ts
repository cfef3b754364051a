import type { RdHeader } from './rdkafka.js'

export function toRdHeaders(headers: Record<string, string | Buffer> | undefined): RdHeader[] | undefined {
  if (!headers) return undefined
  return Object.entries(headers).map(([key, value]) => ({ [key]: value }))
}

/** node-rdkafka hands headers over as a list of one-key objects; the last value of a key wins. */
export function fromRdHeaders(headers: readonly RdHeader[] | undefined): Record<string, Buffer> {
  const result: Record<string, Buffer> = {}
  for (const header of headers ?? []) {
    for (const [key, value] of Object.entries(header)) {
      result[key] = Buffer.isBuffer(value) ? value : Buffer.from(value)
    }
  }
  return result
}
