import { describe, expect, it } from 'vitest'
import { stackConfigSchema, stackPaths } from '../../../deploy/local/config.js'
import { clusterLayout, partitionFigures } from '../../../deploy/local/kafka-cluster.js'
import { brokerList, serverProperties, singleNodeLayout } from '../../../deploy/local/kafka.js'
import { clientEnv } from '../../../deploy/local/stack-shape.js'

const config = stackConfigSchema.parse({ stateDir: '/tmp/pw-state' })
const paths = stackPaths(config, '/repo')
const props = (text: string): Map<string, string> =>
  new Map(
    text
      .split('\n')
      .filter((line) => line && !line.startsWith('#'))
      .map((line) => line.split('=', 2) as [string, string]),
  )

describe('unit > deploy > local Kafka layouts (ADR 0021)', () => {
  it('keeps the single node as it was: 19092, RF 1, no client overrides', () => {
    const single = singleNodeLayout(config, paths)
    expect(brokerList(single)).toBe('127.0.0.1:19092')
    const p = props(serverProperties(single, single.nodes[0]!))
    expect(p.get('controller.quorum.voters')).toBe('1@127.0.0.1:19093')
    expect(p.get('offsets.topic.replication.factor')).toBe('1')
    expect(p.get('min.insync.replicas')).toBe('1')
    expect(clientEnv(single)).toEqual({})
  })

  it('gives three nodes their own ports, data dirs and PID files, one quorum and RF 3 / min ISR 2', () => {
    const cluster = clusterLayout(config, paths)
    expect(cluster.nodes.map((n) => [n.id, n.port, n.controllerPort])).toEqual([
      [1, 19_092, 19_093],
      [2, 19_094, 19_095],
      [3, 19_096, 19_097],
    ])
    expect(new Set(cluster.nodes.map((n) => n.dataDir)).size).toBe(3)
    expect(new Set(cluster.nodes.map((n) => n.proc.pidFile)).size).toBe(3)
    expect(cluster.heapMb).toBe(512)
    for (const node of cluster.nodes) {
      const p = props(serverProperties(cluster, node))
      expect(p.get('node.id')).toBe(String(node.id))
      expect(p.get('controller.quorum.voters')).toBe('1@127.0.0.1:19093,2@127.0.0.1:19095,3@127.0.0.1:19097')
      expect(p.get('listeners')).toBe(
        `PLAINTEXT://127.0.0.1:${node.port},CONTROLLER://127.0.0.1:${node.controllerPort}`,
      )
      expect(p.get('log.dirs')).toBe(`${node.dataDir}/logs`)
      expect(p.get('offsets.topic.replication.factor')).toBe('3')
      expect(p.get('transaction.state.log.min.isr')).toBe('2')
      expect(p.get('min.insync.replicas')).toBe('2')
    }
    expect(clientEnv(cluster)).toEqual({
      PULSEWIRE__KAFKA__BROKERS: '127.0.0.1:19092,127.0.0.1:19094,127.0.0.1:19096',
      PULSEWIRE__KAFKA__TOPICS__REPLICATION_FACTOR: '3',
    })
  })

  it('counts leaders and under-replicated partitions per node, and offline ones apart', () => {
    const figures = partitionFigures([
      { topic: 't', partition: 0, leader: 1, replicas: [1, 2, 3], isrs: [1, 2, 3] },
      { topic: 't', partition: 1, leader: 2, replicas: [2, 3, 1], isrs: [2, 3] },
      { topic: 't', partition: 2, leader: 2, replicas: [3, 2, 1], isrs: [2, 1] },
      { topic: 'u', partition: 0, leader: -1, replicas: [3], isrs: [] },
    ])
    expect(Object.fromEntries(figures.perNode)).toEqual({
      1: { leaders: 1, underReplicated: 0 },
      2: { leaders: 2, underReplicated: 2 },
    })
    expect(figures.underReplicated).toBe(3)
    expect(figures.offline).toBe(1)
  })
})
