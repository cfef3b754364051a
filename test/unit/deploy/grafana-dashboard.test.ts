import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { stackConfigSchema } from '../../../deploy/local/config.js'
import { DEFAULT_SCRAPE_TARGETS, renderScrapeConfig } from '../../../deploy/local/prometheus-config.js'
import { repoRoot } from '../../helpers/cli.js'

// The structure of deploy/grafana: the dashboard names the provisioned datasource, every panel
// queries something, and compose mounts files that exist. (The queries themselves are run against
// a real Prometheus by test/integration/deploy/grafana-dashboard.test.ts.)

const grafana = join(repoRoot, 'deploy', 'grafana')
const read = (path: string): unknown => parse(readFileSync(join(grafana, path), 'utf8'))

interface Panel {
  id: number
  title: string
  datasource?: { type: string; uid: string }
  targets?: Array<{ refId: string; expr: string; datasource?: { uid: string } }>
}

describe('unit > deploy > grafana dashboard', () => {
  const dashboard = JSON.parse(readFileSync(join(grafana, 'dashboards', 'pulsewire.json'), 'utf8')) as {
    uid: string
    panels: Panel[]
  }
  const datasources = (
    read('provisioning/datasources/prometheus.yaml') as {
      datasources: Array<{ uid: string; type: string; url: string }>
    }
  ).datasources

  it('names the provisioned Prometheus datasource in every panel and target', () => {
    expect(datasources).toHaveLength(1)
    const uid = datasources[0]?.uid
    expect(datasources[0]?.type).toBe('prometheus')
    for (const panel of dashboard.panels) {
      expect(panel.datasource, panel.title).toEqual({ type: 'prometheus', uid })
      for (const target of panel.targets ?? []) expect(target.datasource?.uid, panel.title).toBe(uid)
    }
  })

  it('gives every panel at least one query, unique ids and refIds', () => {
    expect(dashboard.uid).toBe('pulsewire-pipeline')
    expect(new Set(dashboard.panels.map((p) => p.id)).size).toBe(dashboard.panels.length)
    for (const panel of dashboard.panels) {
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0)
      const refIds = (panel.targets ?? []).map((t) => t.refId)
      expect(new Set(refIds).size, panel.title).toBe(refIds.length)
      for (const target of panel.targets ?? []) expect(target.expr.trim(), panel.title).not.toBe('')
    }
  })

  it('covers what the issue asks for', () => {
    const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)).join('\n')
    for (const metric of [
      'pulsewire_gateway_messages_accepted_total',
      'pulsewire_gateway_produce_duration_seconds_bucket',
      'pulsewire_kafka_consumer_lag',
      'pulsewire_alert_emit_latency_seconds_bucket',
      'pulsewire_gateway_messages_rejected_total',
      'pulsewire_storage_dlq_records_total',
      'pulsewire_gateway_connections',
      'pulsewire_process_cpu_seconds_total',
      'pulsewire_process_resident_memory_bytes',
    ]) {
      expect(exprs).toContain(metric)
    }
  })

  it('is loaded by a dashboard provider from the folder compose mounts, with files that exist', () => {
    const providers = (
      read('provisioning/dashboards/pulsewire.yaml') as {
        providers: Array<{ options: { path: string } }>
      }
    ).providers
    const compose = parse(readFileSync(join(repoRoot, 'deploy', 'compose.yaml'), 'utf8')) as {
      services: Record<string, { volumes?: string[] }>
    }
    const mounts = [
      ...(compose.services.grafana?.volumes ?? []),
      ...(compose.services.prometheus?.volumes ?? []),
    ]
    const targets = mounts.map((m) => m.split(':')[1])
    expect(targets).toContain(providers[0]?.options.path)
    for (const mount of mounts) {
      const [source] = mount.split(':')
      if (source?.startsWith('./')) expect(existsSync(join(repoRoot, 'deploy', source)), mount).toBe(true)
    }
  })
})

describe('unit > deploy > local > prometheus scrape config', () => {
  it('scrapes every Pulsewire process at the ports of `pulsewire up` every 5 s by default', () => {
    const config = stackConfigSchema.parse({})
    expect(config.prometheus.port).toBe(19_090)
    expect(config.prometheus.targets.map((t) => t.address)).toEqual(
      DEFAULT_SCRAPE_TARGETS.map((t) => t.address),
    )
    const yaml = parse(renderScrapeConfig(config.prometheus)) as {
      global: { scrape_interval: string }
      scrape_configs: Array<{ job_name: string; static_configs: Array<{ targets: string[] }> }>
    }
    expect(yaml.global.scrape_interval).toBe('5s')
    expect(
      Object.fromEntries(yaml.scrape_configs.map((c) => [c.job_name, c.static_configs[0]?.targets])),
    ).toEqual({
      gateway: ['127.0.0.1:9101'],
      storage: ['127.0.0.1:9102'],
      alerting: ['127.0.0.1:9103'],
      sinks: ['127.0.0.1:9104'],
      web: ['127.0.0.1:8080'],
    })
  })

  it('puts several instances of one job under one job label', () => {
    const config = stackConfigSchema.parse({
      prometheus: {
        targets: [
          { job: 'gateway', address: '127.0.0.1:9101' },
          { job: 'gateway', address: '127.0.0.1:9111' },
        ],
      },
    })
    const yaml = parse(renderScrapeConfig(config.prometheus)) as {
      scrape_configs: Array<{ job_name: string; static_configs: Array<{ targets: string[] }> }>
    }
    expect(yaml.scrape_configs).toHaveLength(1)
    expect(yaml.scrape_configs[0]?.static_configs[0]?.targets).toEqual(['127.0.0.1:9101', '127.0.0.1:9111'])
  })

  it('refuses a target that is not host:port', () => {
    expect(() =>
      stackConfigSchema.parse({ prometheus: { targets: [{ job: 'x', address: 'http://a:1/m' }] } }),
    ).toThrow()
  })
})
