import { Aedes, type AuthenticateError, type Client, type PublishPacket } from 'aedes'
import type { Logger } from 'pino'
import type { AlertCommandIngest } from './alert-commands.js'
import { decideConnect, maySubscribe, routePublish, type ClientRole, type DeviceDirectory } from './auth.js'
import type { Clock } from '../core/clock.js'
import type { Ingest } from './ingest.js'
import type { Keepalive } from './keepalive.js'
import type { GatewayMetrics } from './metrics.js'
import { createRevocation } from './revocation.js'
import type { QuotaGate } from './quota-gate.js'
import { createPublishFlow } from './publish-flow.js'
import type { IncomingStore } from './qos2-dedupe.js'

export interface BrokerDeps {
  directory: DeviceDirectory
  ingest: Ingest
  /** Alarm commands of alert operators (commands/alerts → alerts.commands.v1). */
  commands: AlertCommandIngest
  metrics: GatewayMetrics
  logger: Logger
  /** Longest client id accepted (MQTT 3.1 said 23; device ids may be longer). */
  maxClientIdLength: number
  /** Told of each credential check by connection, for the per-address auth back-off. */
  authAttempts?: { failed(conn: object): void; succeeded(conn: object): void }
  /** The device id a verified client certificate names, by connection (TLS listener with a CA). */
  certificateIdentity?: (conn: object) => string | undefined
  /** Per-device publish rate (ADR 0013): awaited before forwarding, so a throttled socket is not read. */
  quota?: Pick<QuotaGate, 'publish'>
  /** Keepalive held while a publish waits for Kafka (keepalive.ts, ADR 0012). */
  keepalive: Keepalive
  clock: Clock
}

/**
 * The embedded aedes broker with Pulsewire's hooks. The delivery promise lives in
 * `authorizePublish`: aedes writes a QoS 1 PUBACK (QoS 2 PUBREC) only after this hook calls
 * back (aedes 1.2 lib/handlers/publish.js). So the hook produces to Kafka and calls back on the
 * delivery report: PUBACK means "in Kafka with acks=all". aedes keeps reading the connection
 * meanwhile (lib/client.js: each 'readable' event reads on), so later publishes reach this hook
 * before earlier ones are acknowledged; their order holds because the producer keeps a key's order.
 */
export async function createGatewayBroker(deps: BrokerDeps): Promise<Aedes> {
  const { directory, ingest, metrics } = deps
  const log = deps.logger.child({ component: 'gateway.broker' })
  const broker = await Aedes.createBroker({
    maxClientsIdLength: deps.maxClientIdLength,
    // Devices do not use $SYS; heartbeats every minute are noise on an ingest gateway.
    heartbeatInterval: 3_600_000,
  })
  const flow = createPublishFlow({
    keepalive: deps.keepalive,
    // aedes types its persistence as any; the incoming QoS 2 store is aedes-persistence's.
    incoming: (broker as unknown as { persistence: IncomingStore }).persistence,
    metrics,
    logger: deps.logger,
    clock: deps.clock,
  })
  // Read once at CONNECT: the ACL of every later packet is then a map lookup on the hot path.
  const roles = new WeakMap<Client, ClientRole>()
  const roleOf = (client: Client): ClientRole => roles.get(client) ?? 'device'
  const revocation = createRevocation({ directory, metrics, logger: deps.logger })
  // aedes keeps its connected clients by id (one connection per id, MQTT-3.1.4-2); not in its types.
  const connected = (): Client[] =>
    Object.values((broker as unknown as { clients: Record<string, Client> }).clients)
  const unsubscribe = directory.onChange?.(() => revocation.sweep(connected()))
  broker.once('closed', () => unsubscribe?.())

  broker.authenticate = (client, username, password, done) => {
    const certificateId = deps.certificateIdentity?.(client.conn)
    const decision = decideConnect(directory, client.id, username, password, certificateId)
    if (decision.ok) {
      roles.set(client, directory.lookup(client.id)?.role ?? 'device')
      revocation.admitted(client, decision.viaCertificate ? 'certificate' : 'secret')
      metrics.connects.inc({ outcome: 'accepted' })
      deps.authAttempts?.succeeded(client.conn)
      return done(null, true)
    }
    metrics.connects.inc({ outcome: decision.outcome })
    deps.authAttempts?.failed(client.conn)
    log.info({ deviceId: client.id, outcome: decision.outcome }, 'connection refused')
    const error = new Error(`connection refused: ${decision.outcome}`) as AuthenticateError
    error.returnCode = decision.returnCode
    done(error, false)
  }

  broker.authorizePublish = (client, packet, done) => {
    if (!client) return done(null) // a stored will of a client gone before restart: harmless, already in the status channel
    flow
      .run(client, packet, (signal) => forwardPublish(client, packet, signal))
      .then(
        () => done(null),
        (err: unknown) => done(err instanceof Error ? err : new Error(String(err))),
      )
  }

  async function forwardPublish(
    client: Client,
    packet: PublishPacket,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    // The live registry, on every publish (finding 2): MQTT 3.1.1 has no negative PUBACK, so refuse = close.
    if (!revocation.mayPublish(client)) throw new Error('device no longer enrolled')
    const role = roleOf(client)
    const route = routePublish(client.id, packet.topic, role)
    if (route === 'denied') {
      metrics.aclDenials.inc({ action: 'publish' })
      log.warn({ deviceId: client.id, role }, 'publish outside own topics refused; closing connection')
      // MQTT 3.1.1 has no negative PUBACK: refusing means closing the connection [MQTT-3.3.5-2].
      throw new Error('not authorized to publish to this topic')
    }
    // An alert state: aedes delivers it and keeps it when retained; it is not telemetry, so no Kafka.
    if (route === 'alert') return
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload)
    const held = role === 'device' ? deps.quota?.publish(client.id, payload.length, client) : undefined
    if (held) await held
    if (route === 'alert-command') return deps.commands.publish(client.id, payload)
    if (route === 'status') return ingest.status(client.id, payload, signal)
    return ingest.telemetry(client.id, packet.topic, payload, signal)
  }

  broker.authorizeSubscribe = (client, subscription, done) => {
    const role = roleOf(client)
    if (maySubscribe(client.id, subscription.topic, role)) return done(null, subscription)
    metrics.aclDenials.inc({ action: 'subscribe' })
    log.warn({ deviceId: client.id, role }, 'subscription outside own topics refused')
    done(null, null) // SUBACK 0x80 for this filter; the connection stays up
  }

  // Only devices have a lifecycle on the status channel: an alert publisher or viewer is not a device.
  broker.on('client', (client) => {
    metrics.connections.inc()
    if (roleOf(client) === 'device') ingest.lifecycle(client.id, 'connected').catch(() => undefined)
  })
  broker.on('clientDisconnect', (client) => {
    metrics.connections.dec()
    if (roleOf(client) === 'device') ingest.lifecycle(client.id, 'disconnected').catch(() => undefined)
  })
  broker.on('keepaliveTimeout', () => metrics.keepaliveTimeouts.inc())
  broker.on('clientError', (client, err) =>
    log.debug({ deviceId: client.id, err: err.message }, 'client error'),
  )
  broker.on('connectionError', (_client, err) => log.debug({ err: err.message }, 'connection error'))
  return broker
}

export type { Aedes }
