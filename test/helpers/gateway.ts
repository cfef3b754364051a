import mqtt, { type IClientOptions, type MqttClient } from 'mqtt'
import { systemClock } from '../../core/clock.js'
import type { KafkaConfig } from '../../core/config/shared.js'
import { createMetricsRegistry } from '../../core/metrics.js'
import type { DeviceType } from '../../core/telemetry/envelope.js'
import type { ClientRole, DeviceDirectory } from '../../gateway/auth.js'
import { gatewayConfigSchema, type GatewayConfig } from '../../gateway/config.js'
import { createDeviceStore, type DeviceStore } from '../../gateway/device-store/device-store.js'
import { createGatewayService, type GatewayService } from '../../gateway/service.js'
import { silentLogger, testKafka } from './services.js'

export interface TestDevice {
  id: string
  type?: Exclude<DeviceType, 'unspecified'>
  site?: string
  /** Absent: a device; alert-publisher / alert-viewer for the MQTT alert sink and its subscribers. */
  role?: ClientRole
}

export interface TestGateway {
  mqttUrl: string
  port: number
  httpUrl: string
  /** The gateway's in-memory device store (add, revoke while running). */
  deviceStore: DeviceStore
  secrets: Map<string, string>
  service: GatewayService
  /** An MQTT client connected as this device (resolves on CONNACK accepted). */
  connect(deviceId: string, options?: IClientOptions): Promise<MqttClient>
  /**
   * Ends the test's clients, then stops the gateway. `devicesConnected`: stops the gateway with
   * its devices still connected (a graceful gateway stop, which closes their connections itself).
   */
  stop(options?: { devicesConnected?: boolean }): Promise<void>
}

/** A real gateway in this process: real aedes on a real socket, real Kafka, an in-memory device store. */
export async function startTestGateway(
  devices: readonly TestDevice[],
  overrides: {
    kafka?: KafkaConfig
    limits?: Partial<GatewayConfig['limits']>
    producer?: Partial<GatewayConfig['producer']>
    heartbeat?: Partial<GatewayConfig['heartbeat']>
    shutdown?: Partial<GatewayConfig['shutdown']>
    mqtt?: Record<string, unknown>
    /** What the gateway sees of the store (default: the store itself). */
    directory?: (store: DeviceStore) => DeviceDirectory
  } = {},
): Promise<TestGateway> {
  const config = gatewayConfigSchema.parse({
    mqtt: { port: 0, websocketPort: false, ...overrides.mqtt },
    http: { port: 0 },
    kafka: overrides.kafka ?? testKafka,
    limits: overrides.limits ?? {},
    producer: overrides.producer ?? {},
    heartbeat: overrides.heartbeat ?? {},
    shutdown: overrides.shutdown ?? {},
    log: { level: 'silent' },
  })
  const deviceStore = createDeviceStore()
  const secrets = new Map<string, string>()
  for (const device of devices) {
    secrets.set(
      device.id,
      deviceStore.add(device.id, { type: device.type, site: device.site, role: device.role }).secret,
    )
  }
  const service = createGatewayService({
    config,
    directory: overrides.directory?.(deviceStore) ?? deviceStore,
    logger: silentLogger,
    metrics: createMetricsRegistry('gateway'),
    clock: systemClock,
  })
  const started: typeof service.components = []
  for (const component of service.components) {
    await component.start()
    started.push(component)
  }
  const port = service.listeners.bound().find((l) => l.name === 'tcp')?.port ?? 0
  const mqttUrl = `mqtt://127.0.0.1:${port}`
  const clients: MqttClient[] = []
  return {
    mqttUrl,
    port,
    httpUrl: `http://127.0.0.1:${service.http.address()?.port}`,
    deviceStore,
    secrets,
    service,
    connect: (deviceId, options = {}) =>
      new Promise((resolve, reject) => {
        const client = mqtt.connect(mqttUrl, {
          clientId: deviceId,
          username: deviceId,
          password: secrets.get(deviceId),
          reconnectPeriod: 0,
          clean: false,
          ...options,
        })
        clients.push(client)
        client.once('connect', () => resolve(client))
        client.once('error', reject)
      }),
    async stop(options = {}) {
      if (!options.devicesConnected) await Promise.all(clients.map((c) => c.endAsync(true)))
      for (const component of started.reverse()) await component.stop()
      if (options.devicesConnected) await Promise.all(clients.map((c) => c.endAsync(true)))
    },
  }
}
