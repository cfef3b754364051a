import mqtt, { type MqttClient } from 'mqtt'
import { z } from 'zod'
import { PipelineError } from '../../../core/errors.js'
import { DEVICE_ID_PATTERN, alertTopic } from '../../../core/telemetry/mqtt-topics.js'
import { permanentFailure, resolveSecret, retriableFailure, type SinkPlugin } from '../sink.js'
import { ActiveAlerts } from './active-alerts.js'

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

export const mqttConfigSchema = z
  .strictObject({
    url: z
      .url({ protocol: /^(mqtt|mqtts|ws|wss)$/, error: 'expected an mqtt://, mqtts://, ws:// or wss:// URL' })
      .default('mqtt://127.0.0.1:1883')
      .describe('The Pulsewire gateway.'),
    clientId: z
      .string()
      .regex(DEVICE_ID_PATTERN, "1–64 letters, digits, '.', '_' or '-'")
      .default('pulsewire-alerts')
      .describe(
        'Identity at the gateway, enrolled with `pulsewire devices add <id> --role alert-publisher` (client id = username).',
      ),
    secretEnv: z
      .string()
      .regex(ENV_NAME, 'expected an environment variable name')
      .optional()
      .describe('Name of the environment variable holding the secret `devices add` printed.'),
    secret: z.string().min(1).optional().describe('The secret itself; prefer secretEnv.'),
    connectTimeoutMs: z.number().int().positive().default(5_000).describe('One CONNECT attempt.'),
    reconnectPeriodMs: z
      .number()
      .int()
      .positive()
      .default(1_000)
      .describe('Pause between reconnects while the gateway is unreachable.'),
  })
  .refine((c) => (c.secret === undefined) !== (c.secretEnv === undefined), {
    message: 'give the gateway secret as exactly one of secretEnv or secret',
    path: ['secretEnv'],
  })
export type MqttSinkConfig = z.output<typeof mqttConfigSchema>

/**
 * Republishes each transition to `alerts/{deviceId}` through the gateway, QoS 1 and retained,
 * with the device's open alerts: whoever subscribes later gets the device's current alarm state.
 */
export const mqttSink: SinkPlugin<MqttSinkConfig> = {
  type: 'mqtt',
  summary: 'Retained alerts/{deviceId} messages through the gateway: latest transition + open alerts.',
  configSchema: mqttConfigSchema,
  create(config, deps) {
    const secret = resolveSecret(config, deps.env, 'the gateway secret')
    const log = deps.logger.child({ component: 'sink.mqtt', sink: deps.name })
    const state = new ActiveAlerts()
    let client: MqttClient | undefined
    let lastError: string | undefined

    return {
      start() {
        client = mqtt.connect(config.url, {
          clientId: config.clientId,
          username: config.clientId,
          password: secret,
          clean: true,
          connectTimeout: config.connectTimeoutMs,
          reconnectPeriod: config.reconnectPeriodMs,
          // Offline publishes are refused by deliver() instead: the runner's retries and
          // dead letters account for them, and a stale queue never overwrites newer state.
          queueQoSZero: false,
        })
        client.on('connect', () => {
          lastError = undefined
          log.info({ url: config.url }, 'connected to the gateway')
        })
        client.on('error', (err) => {
          if (lastError !== err.message)
            log.warn({ err: err.message, url: config.url }, 'gateway connection failed')
          lastError = err.message
        })
        // Not waiting for the CONNACK: a gateway that is down makes the sink retry, never the process fail.
        return Promise.resolve()
      },
      restore: (event) => state.apply(event),
      async deliver(event) {
        // An id with '/', '+' or '#' cannot name a topic: the gateway would close the connection.
        if (!DEVICE_ID_PATTERN.test(event.deviceId)) {
          throw permanentFailure(`device id ${JSON.stringify(event.deviceId)} cannot name an MQTT topic`)
        }
        state.apply(event)
        if (!client?.connected) {
          throw new PipelineError('SINK_NOT_CONNECTED', `not connected to the gateway at ${config.url}`, {
            retriable: true,
          })
        }
        // Built at delivery time, so a retry carries the newest state, never an outdated one.
        const payload = JSON.stringify(state.stateOf(event))
        try {
          await client.publishAsync(alertTopic(event.deviceId), payload, { qos: 1, retain: true })
        } catch (err) {
          throw retriableFailure(
            `publish to ${alertTopic(event.deviceId)} failed: ${(err as Error).message}`,
            err,
          )
        }
      },
      health: () =>
        client?.connected
          ? undefined
          : `not connected to the gateway at ${config.url}${lastError ? `: ${lastError}` : ''}`,
      async stop() {
        // Forced when offline: a graceful end would wait for a gateway that is not there.
        await client?.endAsync(!client.connected)
        client = undefined
      },
    }
  },
}
