import { createHmac, timingSafeEqual } from 'node:crypto'

/** The header that carries the signature (README.md of this plugin). */
export const SIGNATURE_HEADER = 'X-Pulsewire-Signature'

/**
 * `t=<unix ms>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, in the style of Stripe's webhooks: the
 * timestamp is inside the signed text, so a receiver that rejects old timestamps stops replays,
 * and `v1` names the scheme so a second one can be added beside it later.
 */
export function signBody(secret: string, body: string, timestampMs: number): string {
  return `t=${timestampMs},v1=${hmacHex(secret, `${timestampMs}.${body}`)}`
}

const hmacHex = (secret: string, text: string): string =>
  createHmac('sha256', secret).update(text, 'utf8').digest('hex')

export type SignatureCheck = { ok: true; timestampMs: number } | { ok: false; reason: string }

/**
 * What a receiver does (and what the integration test's receiver does): recompute the HMAC over
 * the exact body bytes, compare in constant time, and refuse timestamps outside the tolerance.
 */
export function verifySignature(
  header: string | undefined,
  body: string,
  secret: string,
  nowMs: number,
  toleranceMs = 5 * 60_000,
): SignatureCheck {
  if (!header) return { ok: false, reason: 'missing signature header' }
  const parts = new Map(
    header.split(',').map((part) => {
      const eq = part.indexOf('=')
      return [part.slice(0, eq).trim(), part.slice(eq + 1).trim()] as const
    }),
  )
  const t = Number(parts.get('t'))
  const given = parts.get('v1')
  if (!Number.isSafeInteger(t) || !given) return { ok: false, reason: 'malformed signature header' }
  if (Math.abs(nowMs - t) > toleranceMs) return { ok: false, reason: 'timestamp outside the tolerance' }
  const expected = Buffer.from(hmacHex(secret, `${t}.${body}`), 'hex')
  const actual = Buffer.from(given, 'hex')
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) {
    return { ok: false, reason: 'signature mismatch' }
  }
  return { ok: true, timestampMs: t }
}
