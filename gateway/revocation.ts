import type { Client } from 'aedes'
import type { Logger } from 'pino'
import type { ClientRole, DeviceDirectory } from './auth.js'
import type { GatewayMetrics } from './metrics.js'

/** Why an open connection lost its right to publish: a closed set (metric label). */
export type RevocationReason = 'not_enrolled' | 'secret_rotated' | 'role_changed'

export const REVOCATION_REASONS: readonly RevocationReason[] = [
  'not_enrolled',
  'secret_rotated',
  'role_changed',
]

/** How a connection proved who it is at CONNECT. */
export type Credential = 'secret' | 'certificate'

export interface Revocation {
  /** At an accepted CONNECT: what the connection's right rests on, to compare with later. */
  admitted(client: Client, credential: Credential): void
  /**
   * On every publish, against the live registry: false when the device is no longer enrolled
   * (revoked, removed), its role changed or the secret it connected with was rotated. Counted;
   * logged once per connection. The caller refuses the publish (closing the connection).
   */
  mayPublish(client: Client): boolean
  /** After the registry changed: closes every open connection that `mayPublish` would refuse. */
  sweep(clients: Iterable<Client>): void
}

interface Session {
  role: ClientRole
  /** The secret's stamp at CONNECT; undefined for a certificate, whose right does not rest on the secret. */
  secretStamp: string | undefined
}

/**
 * Revocation that bites (issue #10, finding 2). The device store is re-read within
 * `registry.reloadIntervalMs` (≤ 1 s); on every change the open connections are checked again and
 * those no longer entitled are closed, and every publish is checked against the live registry in
 * the broker's publish hook, so a publish that races the sweep is refused too. Both are map
 * lookups: no I/O, no hash.
 */
export function createRevocation(deps: {
  directory: DeviceDirectory
  metrics: GatewayMetrics
  logger: Logger
}): Revocation {
  const { directory, metrics } = deps
  const log = deps.logger.child({ component: 'gateway.revocation' })
  const sessions = new WeakMap<Client, Session>()
  const logged = new WeakSet<Client>()

  function verdict(client: Client): RevocationReason | undefined {
    const entry = directory.lookup(client.id)
    if (!entry) return 'not_enrolled'
    const session = sessions.get(client)
    if (!session) return undefined
    if ((entry.role ?? 'device') !== session.role) return 'role_changed'
    if (session.secretStamp !== undefined && directory.secretStamp?.(client.id) !== session.secretStamp)
      return 'secret_rotated'
    return undefined
  }

  return {
    admitted(client, credential) {
      sessions.set(client, {
        role: directory.lookup(client.id)?.role ?? 'device',
        secretStamp: credential === 'secret' ? directory.secretStamp?.(client.id) : undefined,
      })
    },

    mayPublish(client) {
      const reason = verdict(client)
      if (reason === undefined) return true
      metrics.revokedPublishes.inc({ reason })
      if (!logged.has(client)) {
        logged.add(client)
        log.warn({ deviceId: client.id, reason }, 'publish from a device no longer entitled refused; closing')
      }
      return false
    },

    sweep(clients) {
      const closed: Partial<Record<RevocationReason, number>> = {}
      for (const client of clients) {
        if (client.closed) continue
        const reason = verdict(client)
        if (reason === undefined) continue
        closed[reason] = (closed[reason] ?? 0) + 1
        metrics.revocationDisconnects.inc({ reason })
        logged.add(client)
        log.debug({ deviceId: client.id, reason }, 'closing connection after a registry change')
        client.close()
      }
      // One line per registry change, whatever the number of devices: a mass revocation is one event.
      if (Object.keys(closed).length > 0) log.info({ closed }, 'connections closed after a registry change')
    },
  }
}
