import { expect } from 'vitest'
import { z } from 'zod'

/**
 * The plugin config contract (profile.ts, scenario.ts): a strict object, every field described,
 * defaults for everything so that `{}` is a valid config, and unknown keys rejected.
 */
export function expectPluginConfigContract(schema: z.ZodType): void {
  expect(schema.safeParse({}).success).toBe(true)
  expect(schema.safeParse({ noSuchSetting: 1 }).success).toBe(false)
  expect(schema).toBeInstanceOf(z.ZodObject)
  const shape = (schema as z.ZodObject).shape
  const undescribed = Object.entries(shape)
    .filter(([, field]) => !(field as z.ZodType).description)
    .map(([key]) => key)
  expect(undescribed).toEqual([])
}
