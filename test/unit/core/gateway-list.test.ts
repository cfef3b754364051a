import { describe, expect, it } from 'vitest'
import { ConfigError } from '../../../core/errors.js'
import { gatewayConnectTarget, parseGatewayList, rotateFor } from '../../../core/gateway-list.js'

describe('unit > core > gateway list (several gateways, ADR 0022)', () => {
  it('parses one URL of any kind, or a comma-separated list of TCP/TLS URLs', () => {
    expect(parseGatewayList('ws://127.0.0.1:8083/mqtt')).toEqual(['ws://127.0.0.1:8083/mqtt'])
    expect(parseGatewayList(' mqtt://a:1883, mqtt://b:1884 ,')).toEqual(['mqtt://a:1883', 'mqtt://b:1884'])
    expect(() => parseGatewayList('mqtt://a:1883,ws://b:8083/mqtt')).toThrow(ConfigError)
    expect(() => parseGatewayList('mqtt://a:1883,nonsense')).toThrow(ConfigError)
    expect(() => parseGatewayList(' , ')).toThrow(ConfigError)
  })

  it('rotates the list so device i starts at gateway i mod n and then walks on in order', () => {
    expect(rotateFor(['a', 'b', 'c'], 0)).toEqual(['a', 'b', 'c'])
    expect(rotateFor(['a', 'b', 'c'], 4)).toEqual(['b', 'c', 'a'])
    expect(rotateFor(['a', 'b', 'c'], -1)).toEqual(['c', 'a', 'b'])
    expect(rotateFor([], 3)).toEqual([])
  })

  it('spreads a fleet evenly over the gateways by first entry', () => {
    const urls = ['mqtt://127.0.0.1:1883', 'mqtt://127.0.0.1:1884', 'mqtt://127.0.0.1:1885']
    const firsts = Array.from({ length: 30 }, (_, i) => gatewayConnectTarget(urls, i).url)
    for (const url of urls) expect(firsts.filter((u) => u === url)).toHaveLength(10)
  })

  it('gives MQTT.js a servers list only when there is more than one gateway', () => {
    expect(gatewayConnectTarget(['tls://a:9000', 'tcp://b'], 0).servers).toEqual([
      { protocol: 'ssl', host: 'a', port: 9000 },
      { protocol: 'tcp', host: 'b', port: 1883 },
    ])
    expect(gatewayConnectTarget(['mqtts://gw.example'], 7)).toEqual({ url: 'mqtts://gw.example' })
    expect(gatewayConnectTarget(['mqtt://a:1883', 'mqtts://[::1]'], 1)).toEqual({
      url: 'mqtts://[::1]',
      servers: [
        { protocol: 'mqtts', host: '::1', port: 8883 },
        { protocol: 'mqtt', host: 'a', port: 1883 },
      ],
    })
  })
})
