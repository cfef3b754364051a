// Several gateways, as real fleets are configured (issue #14, ADR 0022): each device is given the
// whole gateway list and moves to the next entry when its connection is lost. MQTT.js does the
// rotation itself (`servers`: the next entry at every connect, wrapping); this module only parses
// the list and gives each device its own starting gateway so a fleet spreads evenly.
import { ConfigError } from './errors.js'

export interface GatewayServer {
  /** MQTT.js's names: tls:// is its 'ssl'. */
  protocol: 'mqtt' | 'mqtts' | 'tcp' | 'ssl'
  host: string
  port: number
}

const invalid = (entry: string, message: string): ConfigError =>
  new ConfigError('gateway list', [{ path: entry, message }])

const DEFAULT_PORT: Record<GatewayServer['protocol'], number> = {
  mqtt: 1883,
  tcp: 1883,
  mqtts: 8883,
  ssl: 8883,
}

/**
 * The gateway URLs of a comma-separated list ("mqtt://a:1883,mqtt://b:1883"), in order. One URL
 * may be anything MQTT.js connects to (ws:// included); a list of several takes TCP or TLS URLs
 * only, since MQTT.js's `servers` rotation carries host, port and protocol but no WebSocket path.
 */
export function parseGatewayList(spec: string): string[] {
  const urls = spec
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
  if (urls.length === 0) throw invalid('', 'no gateway URL')
  if (urls.length > 1) urls.forEach(gatewayServer)
  return urls
}

/** One list entry as an MQTT.js `servers` item. */
export function gatewayServer(url: string): GatewayServer {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw invalid(url, 'not a URL')
  }
  const scheme = parsed.protocol.replace(/:$/, '')
  const protocol = scheme === 'tls' ? 'ssl' : scheme
  if (protocol !== 'mqtt' && protocol !== 'mqtts' && protocol !== 'tcp' && protocol !== 'ssl')
    throw invalid(
      url,
      'not mqtt://, mqtts://, tcp:// or tls:// (a list of several gateways holds no WebSocket URL)',
    )
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1')
  return { protocol, host, port: parsed.port ? Number(parsed.port) : DEFAULT_PORT[protocol] }
}

/** The list as device `index` walks it: starting at entry index mod n, then on in order, wrapping. */
export function rotateFor<T>(list: readonly T[], index: number): T[] {
  if (list.length === 0) return []
  const start = ((index % list.length) + list.length) % list.length
  return [...list.slice(start), ...list.slice(0, start)]
}

/**
 * What to hand `mqtt.connect(url, { ...options })` for device `index`: the URL of its first
 * gateway, and with several gateways the rotated `servers` list MQTT.js walks at every (re)connect.
 */
export function gatewayConnectTarget(
  urls: readonly string[],
  index: number,
): { url: string; servers?: GatewayServer[] } {
  const order = rotateFor(urls, index)
  const first = order[0]
  if (first === undefined) throw invalid('', 'no gateway URL')
  return order.length === 1 ? { url: first } : { url: first, servers: order.map(gatewayServer) }
}
