import { PipelineError } from '../../core/errors.js'
import { createLoadClient, type ConnectionEvents, type LoadClient } from './load-client.js'

export interface ConnectFleetOptions {
  url: string
  deviceIds: readonly string[]
  credentials: Readonly<Record<string, string>> | undefined
  qos: 0 | 1
  ratePerSec: number
  events: ConnectionEvents
  /** How long all devices may take to connect, beyond the time the connect rate needs. */
  graceMs?: number
}

export interface Fleet {
  clients: LoadClient[]
  connected(): number
  close(): Promise<void>
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Connects every load device before the schedule starts, at a bounded connect rate (a connect
 * storm is a different test), and fails clearly when some never get in.
 */
export async function connectFleet(options: ConnectFleetOptions): Promise<Fleet> {
  const { deviceIds, events } = options
  const connectedOnce = new Set<string>()
  const clients: LoadClient[] = []
  const perTick = Math.max(1, Math.round(options.ratePerSec / 100))
  for (let i = 0; i < deviceIds.length; i++) {
    const deviceId = deviceIds[i] as string
    clients.push(
      createLoadClient({
        url: options.url,
        index: i,
        deviceId,
        password: options.credentials?.[deviceId],
        qos: options.qos,
        events,
        onConnect: () => connectedOnce.add(deviceId),
      }),
    )
    if ((i + 1) % perTick === 0) await sleep(10)
  }
  const fleet: Fleet = {
    clients,
    connected: () => clients.reduce((n, c) => n + (c.connected() ? 1 : 0), 0),
    close: async () => {
      await Promise.all(clients.map((c) => c.close()))
    },
  }
  const deadline = Date.now() + (options.graceMs ?? 30_000)
  while (connectedOnce.size < deviceIds.length) {
    if (Date.now() > deadline) {
      await fleet.close()
      throw new PipelineError(
        'LOADTEST_CONNECT_FAILED',
        `${deviceIds.length - connectedOnce.size} of ${deviceIds.length} devices could not connect to ` +
          `${options.url}${events.lastError ? `: ${events.lastError}` : ''}`,
        { retriable: true },
      )
    }
    await sleep(50)
  }
  return fleet
}
