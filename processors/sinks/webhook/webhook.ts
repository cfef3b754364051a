import { z } from 'zod'
import { toAlertJson } from '../alert-json.js'
import { permanentFailure, resolveSecret, retriableFailure, type SinkPlugin } from '../sink.js'
import { SIGNATURE_HEADER, signBody } from './signature.js'

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

export const webhookConfigSchema = z
  .strictObject({
    url: z
      .url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' })
      .refine((url) => !URL.canParse(url) || new URL(url).username === '', {
        message: 'no credentials in the URL (they would end up in logs): use headers.Authorization',
      })
      .describe('Receiver URL; each transition is one JSON POST.'),
    secretEnv: z
      .string()
      .regex(ENV_NAME, 'expected an environment variable name')
      .optional()
      .describe(
        'Name of the environment variable holding the HMAC secret (preferred: keeps it out of files).',
      ),
    secret: z
      .string()
      .min(16, 'use at least 16 characters (e.g. openssl rand -hex 32)')
      .optional()
      .describe('The HMAC secret itself; prefer secretEnv.'),
    headers: z
      .record(z.string().regex(/^[A-Za-z0-9-]+$/, 'not a header name'), z.string())
      .default({})
      .describe('Extra request headers, e.g. Authorization for a receiver behind a gateway.'),
  })
  .refine((c) => (c.secret === undefined) !== (c.secretEnv === undefined), {
    message: 'give the HMAC secret as exactly one of secretEnv or secret',
    path: ['secretEnv'],
  })
export type WebhookConfig = z.output<typeof webhookConfigSchema>

/** 408 and 429 say "later"; every other 4xx says "never" (the request itself is wrong). */
export function isRetriableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500
}

export const webhookSink: SinkPlugin<WebhookConfig> = {
  type: 'webhook',
  summary: 'A signed JSON POST per transition (HMAC-SHA256, Idempotency-Key); 2xx = delivered.',
  configSchema: webhookConfigSchema,
  create(config, deps) {
    const secret = resolveSecret(config, deps.env, 'the HMAC secret')
    const target = new URL(config.url)
    const where = `${target.origin}${target.pathname}`
    return {
      async deliver(event, ctx) {
        // Serialised once per attempt and signed over exactly these bytes.
        const body = JSON.stringify(toAlertJson(event))
        let response: Response
        try {
          response = await fetch(target, {
            method: 'POST',
            body,
            redirect: 'manual', // a signed alarm is never re-sent to wherever a redirect points
            signal: ctx.signal,
            headers: {
              ...config.headers,
              'content-type': 'application/json',
              'user-agent': 'pulsewire-alerts/1',
              'idempotency-key': ctx.idempotencyKey,
              'x-pulsewire-attempt': String(ctx.attempt),
              [SIGNATURE_HEADER.toLowerCase()]: signBody(secret, body, deps.clock.now()),
            },
          })
        } catch (err) {
          const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : ''
          throw retriableFailure(`POST ${where} failed${cause}`, err)
        }
        const answer = (await response.text().catch(() => '')).slice(0, 200)
        if (response.ok) return
        const message = `POST ${where} answered ${response.status}${answer ? `: ${answer}` : ''}`
        throw isRetriableStatus(response.status) ? retriableFailure(message) : permanentFailure(message)
      },
    }
  },
}
