import { describe, expect, it } from 'vitest'
import { signBody, verifySignature } from '../../../../../processors/sinks/webhook/signature.js'
import { isRetriableStatus } from '../../../../../processors/sinks/webhook/webhook.js'

const SECRET = 'pulsewire-test-secret-0123456789'
const BODY = '{"alertId":"bm-0001/spo2-low/3","transition":"raised"}'
const T = 1_764_054_000_000

describe('processors > sinks > webhook signature', () => {
  it('matches a known HMAC-SHA256 vector over "<t>.<body>"', () => {
    // printf '%s' "1764054000000.$BODY" | openssl dgst -sha256 -hmac "$SECRET"
    expect(signBody(SECRET, BODY, T)).toBe(
      't=1764054000000,v1=501ae0b50ead876d5ec923d7dc46ca357e6333d90330e1c2a38680bb9c4f8f5b',
    )
  })

  it('verifies what it signs, and refuses a changed body, another secret or an old timestamp', () => {
    const header = signBody(SECRET, BODY, T)
    expect(verifySignature(header, BODY, SECRET, T + 1_000)).toEqual({ ok: true, timestampMs: T })
    expect(verifySignature(header, BODY.replace('raised', 'cleared'), SECRET, T)).toMatchObject({
      ok: false,
      reason: 'signature mismatch',
    })
    expect(verifySignature(header, BODY, 'another-secret-0123456789', T)).toMatchObject({ ok: false })
    expect(verifySignature(header, BODY, SECRET, T + 10 * 60_000)).toMatchObject({
      reason: 'timestamp outside the tolerance',
    })
    expect(verifySignature(undefined, BODY, SECRET, T)).toMatchObject({ ok: false })
    expect(verifySignature('v1=abc', BODY, SECRET, T)).toMatchObject({ reason: 'malformed signature header' })
  })

  it('retries 408, 429 and 5xx; every other 4xx is permanent', () => {
    expect([408, 429, 500, 502, 503, 504].every(isRetriableStatus)).toBe(true)
    expect([400, 401, 403, 404, 409, 410, 413, 422].some(isRetriableStatus)).toBe(false)
  })
})
