import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { storageConfigSchema } from '../../../../processors/storage/config.js'

/** Dotted paths of the fields without a description, looking through defaults and refinements. */
function undescribed(schema: z.ZodType, path: string): string[] {
  let inner: z.ZodType = schema
  let described = Boolean(schema.description)
  for (;;) {
    const def = inner._zod.def as { innerType?: z.ZodType; in?: z.ZodType }
    const next = def.innerType ?? def.in
    if (!next) break
    inner = next
    described ||= Boolean(inner.description)
  }
  const shape = (inner._zod.def as { shape?: Record<string, z.ZodType> }).shape
  const here = described || !path ? [] : [path]
  if (!shape) return here
  return [
    ...here,
    ...Object.entries(shape).flatMap(([key, child]) => undescribed(child, path ? `${path}.${key}` : key)),
  ]
}

describe('processors > storage > config', () => {
  it('defaults to the local stack, with fast batching and retries that never give up', () => {
    const config = storageConfigSchema.parse({})
    expect(config).toMatchObject({
      kafka: { brokers: '127.0.0.1:19092' },
      influx: { url: 'http://127.0.0.1:18086', flavor: 'v1', bucket: 'telemetry/autogen' },
      groupId: 'pulsewire-storage',
      batch: { maxPoints: 5_000, maxWaitMs: 250 },
      retry: { minDelayMs: 200, maxDelayMs: 10_000 },
      http: { port: 9102 },
      shutdown: { timeoutMs: 15_000 },
    })
  })

  it('describes every field', () => {
    expect(
      undescribed(z.strictObject({ a: z.number().default(1), b: z.number().describe('b') }), ''),
    ).toEqual(['a'])
    expect(undescribed(storageConfigSchema, '')).toEqual([])
  })

  it('refuses unknown keys and a retry floor above its cap', () => {
    expect(storageConfigSchema.safeParse({ batch: { size: 10 } }).success).toBe(false)
    const inverted = storageConfigSchema.safeParse({ retry: { minDelayMs: 5_000, maxDelayMs: 100 } })
    expect(inverted.success).toBe(false)
    expect(inverted.error?.issues[0]?.path).toEqual(['retry', 'minDelayMs'])
  })
})
