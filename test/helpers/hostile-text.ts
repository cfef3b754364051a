/**
 * Text that line protocol must escape: the characters InfluxDB's syntax gives a meaning to,
 * control characters, quotes, backslashes and unicode beyond the BMP, for tables and a seeded
 * fuzz loop (the same seed replays the same strings).
 */
export const HOSTILE_TEXTS = [
  '',
  'plain',
  'with space',
  'a,b',
  'k=v',
  ' leading and trailing ',
  ',=, =,',
  'say "hi"',
  'back\\slash',
  'ends with backslash\\',
  '\\"',
  'line\nbreak',
  'carriage\rreturn',
  'tab\there',
  'ünïcødé',
  'emoji 🫀 beats',
  '漢字,かな=カナ',
  '\u0000nul',
  '\u2028separator',
  '=',
  ',',
  ' ',
  '"',
  '\\',
] as const

/** mulberry32: a small seeded PRNG, enough for test data. */
export function createRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const ALPHABET = [...'ab Z09,= "\\\n\r\t\u0000é漢🫀_-.', '\ud800', '\udc00']

/** A random string of 0 to `maxLength` characters, mostly from the characters that need escaping. */
export function randomText(random: () => number, maxLength = 12): string {
  const length = Math.floor(random() * (maxLength + 1))
  let text = ''
  for (let i = 0; i < length; i++) text += ALPHABET[Math.floor(random() * ALPHABET.length)]
  return text
}
