// Issue #14, "Docker users run the whole pipeline" (ADR 0021): no Docker engine runs here, so
// the compose file and the Dockerfile are checked against what they name: the CLI's commands
// and options, each process's config schema, the files of the tree and the build's output.
import { existsSync, readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { parse as parseYaml } from 'yaml'
import type { z } from 'zod'
import { describe, expect, it } from 'vitest'
import { findRepoRoot } from '../../../core/repo-root.js'
import { gatewayConfigSchema } from '../../../gateway/config.js'
import { alertingConfigSchema } from '../../../processors/alerting/config.js'
import { sinksFileSchema } from '../../../processors/sinks/config.js'
import { storageConfigSchema } from '../../../processors/storage/config.js'
import { webConfigSchema } from '../../../processors/web/config.js'
import {
  copyParts,
  dockerIgnored,
  dockerInstructions,
  environmentOf,
  envProblems,
  parseCommand,
  runtimePackages,
} from './compose-checks.js'

const root = findRepoRoot(import.meta.url)
const read = (path: string): string => readFileSync(resolve(root, path), 'utf8')
const compose = parseYaml(read('deploy/compose.yaml'), { merge: true }) as {
  services: Record<string, Record<string, unknown>>
}
const manifest = JSON.parse(read('package.json')) as {
  bin: Record<string, string>
  scripts: Record<string, string>
  dependencies: Record<string, string>
}
const buildConfig = JSON.parse(read('tsconfig.build.json')) as {
  include: string[]
  compilerOptions: { outDir: string; rootDir: string }
}
const dockerfile = dockerInstructions(read('Dockerfile'))

/**
 * The config schemas whose PULSEWIRE__ overrides a command reads. A command that runs a process
 * of its own (e.g. `web`) gets a line here; a service running a command without one fails below.
 */
const PROCESS_SCHEMAS: Record<string, (options: Record<string, unknown>) => z.ZodType[]> = {
  gateway: () => [gatewayConfigSchema],
  processors: (o) =>
    o.only === 'storage'
      ? [storageConfigSchema]
      : o.only === 'alerting'
        ? [alertingConfigSchema]
        : [storageConfigSchema, alertingConfigSchema],
  alerts: () => [sinksFileSchema],
  web: () => [webConfigSchema],
  sim: () => [],
  'devices provision': () => [],
}

/** Services built from this repository's image: the ones that run `pulsewire`. */
const pulsewireServices = Object.entries(compose.services).filter(
  ([, service]) => service.build !== undefined || service.image === 'pulsewire:local',
)
const argvOf = (service: Record<string, unknown>): string[] =>
  Array.isArray(service.command)
    ? service.command.map(String)
    : (typeof service.command === 'string' ? service.command : '').split(/\s+/).filter(Boolean)

/** Paths the runtime stage holds (its COPY destinations under WORKDIR /app). */
const runtimeStage = dockerfile[dockerfile.length - 1]?.stage
const runtimeCopies = dockerfile
  .filter((i) => i.stage === runtimeStage && i.op === 'COPY')
  .map((i) =>
    copyParts(i.args)
      .dest.replace(/^\.\//, '')
      .replace(/^\/app\//, ''),
  )

describe('unit > deploy > compose.yaml', () => {
  it('runs the gateway, processors, alert sinks and the simulator from the Pulsewire image', () => {
    const commands = pulsewireServices.map(([, s]) => argvOf(s)[0])
    expect(commands).toEqual(expect.arrayContaining(['gateway', 'processors', 'alerts', 'sim', 'web']))
    const build = pulsewireServices[0]?.[1].build as { context: string; dockerfile: string }
    expect(existsSync(resolve(root, 'deploy', build.context, build.dockerfile))).toBe(true)
  })

  it.each(pulsewireServices)(
    'service %s: a real pulsewire command, options the CLI accepts, files the image has',
    async (name, service) => {
      const argv = argvOf(service)
      const parsed = await parseCommand(argv)
      expect('error' in parsed ? parsed.error : '', `${name}: pulsewire ${argv.join(' ')}`).toBe('')
      if ('error' in parsed) return
      expect(Object.keys(PROCESS_SCHEMAS), `${name}: say which config "${parsed.path}" reads`).toContain(
        parsed.path,
      )
      for (const arg of argv.filter((a) => a.startsWith('deploy/'))) {
        expect(existsSync(resolve(root, arg)), `${name}: ${arg} exists`).toBe(true)
        expect(
          runtimeCopies.some((dest) => arg.startsWith(`${dest}/`)),
          `${name}: ${arg} is in the image`,
        ).toBe(true)
      }
    },
  )

  it.each(pulsewireServices)(
    'service %s: every PULSEWIRE__ key is a real key of its config with a value it accepts',
    async (name, service) => {
      const parsed = await parseCommand(argvOf(service))
      if ('error' in parsed) throw new Error(parsed.error)
      const schemas = PROCESS_SCHEMAS[parsed.path]?.(parsed.options) ?? []
      expect(envProblems(schemas, environmentOf(service)), name).toEqual([])
    },
  )

  it('Prometheus scrapes every Pulsewire process by its compose service name and port', () => {
    const scrape = parseYaml(read('deploy/grafana/prometheus.yml')) as {
      scrape_configs: Array<{
        job_name: string
        static_configs?: Array<{ targets: string[] }>
        dns_sd_configs?: Array<{ names: string[]; port: number }>
      }>
    }
    const targets = scrape.scrape_configs.flatMap((job) => [
      ...(job.static_configs ?? []).flatMap((c) => c.targets),
      ...(job.dns_sd_configs ?? []).flatMap((c) => c.names.map((n) => `${n}:${c.port}`)),
    ])
    const running = new Set(Object.keys(compose.services))
    // A target naming no service is a job that is `up == 0` forever and a dashboard panel that is empty.
    for (const target of targets.filter((t) => !t.startsWith('web:') || running.has('web'))) {
      expect(running, `scrape target ${target}`).toContain(target.split(':')[0])
    }
    const ports = targets.map((t) => t.split(':')[1])
    expect(ports).toEqual(expect.arrayContaining(['9101', '9102', '9103', '9104']))
  })

  it('the checks catch what they are for: an unknown command, option, key or value', async () => {
    expect(await parseCommand(['gatewy'])).toHaveProperty('error')
    expect(await parseCommand(['processors', '--only', 'everything'])).toHaveProperty('error')
    expect(await parseCommand(['alerts', '--http-port', 'many'])).toHaveProperty('error')
    expect(await parseCommand(['stack'])).toHaveProperty('error')
    expect(await parseCommand(['processors', '--only', 'storage'])).toEqual({
      path: 'processors',
      options: { only: 'storage' },
    })
    const gateway = [gatewayConfigSchema]
    expect(
      envProblems(gateway, { PULSEWIRE__MQTT__HOST: '0.0.0.0', PULSEWIRE__KAFKA__BROKERS: 'k:9092' }),
    ).toEqual([])
    expect(envProblems(gateway, { PULSEWIRE__MQTT__HOTS: 'x' })).toEqual([expect.stringContaining('hots')])
    expect(envProblems(gateway, { PULSEWIRE__MQTT__PORT: 'eighty' })).toEqual([
      expect.stringContaining('mqtt.port'),
    ])
    expect(envProblems(gateway, { PULSEWIRE__INFLUX__URL: 'http://influxdb:8086' })).toEqual([
      expect.stringContaining('no config of this process has a section "influx"'),
    ])
    expect(envProblems([], { PULSEWIRE__LOG__LEVEL: 'info' })).toEqual([
      expect.stringContaining('reads no PULSEWIRE__ overrides'),
    ])
    expect(
      envProblems([storageConfigSchema, alertingConfigSchema], {
        PULSEWIRE__KAFKA__TOPICS__MIN_INSYNC_REPLICAS: '2',
      }),
    ).toEqual(expect.arrayContaining([expect.stringContaining('above the replication factor')]))
  })
})

describe('unit > deploy > Dockerfile', () => {
  const ignore = read('.dockerignore')

  it('copies from the build context only what exists and .dockerignore lets through', () => {
    const sources = dockerfile
      .filter((i) => i.op === 'COPY' && !copyParts(i.args).from)
      .flatMap((i) => copyParts(i.args).sources)
    expect(sources.length).toBeGreaterThan(0)
    for (const source of sources) {
      expect(existsSync(resolve(root, source)), `${source} exists`).toBe(true)
      expect(dockerIgnored(ignore, source), `${source} is not in .dockerignore`).toBe(false)
    }
  })

  it('builds the whole tree `npm run build` compiles, and prunes to production dependencies', () => {
    const build = dockerfile.filter((i) => i.stage === 'build')
    const copied = build.filter((i) => i.op === 'COPY').flatMap((i) => copyParts(i.args).sources)
    for (const path of [...buildConfig.include, 'tsconfig.json', 'tsconfig.build.json', 'package-lock.json'])
      expect(copied, `the build stage copies ${path}`).toContain(path)
    const runs = build.filter((i) => i.op === 'RUN').map((i) => i.args)
    expect(runs.some((r) => r.includes('npm ci'))).toBe(true)
    expect(runs.some((r) => /npm run build && npm prune --omit=dev/.test(r))).toBe(true)
    expect(manifest.scripts.build).toContain('tsconfig.build.json')
  })

  it('the runtime copies only what the build stage has, and its entrypoint is the built CLI', () => {
    const build = dockerfile.filter((i) => i.stage === 'build')
    const inBuild = new Set([
      ...build.filter((i) => i.op === 'COPY').map((i) => copyParts(i.args).dest.replace(/^\.\/?/, '')),
      ...build.filter((i) => i.op === 'COPY').flatMap((i) => copyParts(i.args).sources),
      buildConfig.compilerOptions.outDir, // npm run build
      'node_modules', // npm ci
    ])
    const fromBuild = dockerfile.filter((i) => i.op === 'COPY' && copyParts(i.args).from === 'build')
    for (const { args } of fromBuild) {
      for (const source of copyParts(args).sources) {
        const path = source.replace(/^\/app\//, '')
        expect(
          [...inBuild].some((have) => path === have || path.startsWith(`${have}/`)),
          `${path} is in the build stage`,
        ).toBe(true)
      }
    }
    const entrypoint = JSON.parse(dockerfile.find((i) => i.op === 'ENTRYPOINT')?.args ?? '[]') as string[]
    const [node, file = ''] = entrypoint
    expect(node).toBe('node')
    expect(file).toBe(manifest.bin.pulsewire)
    // tsc -p tsconfig.build.json writes <rootDir>/X.ts to <outDir>/X.js.
    const { outDir, rootDir } = buildConfig.compilerOptions
    expect(file.startsWith(`${outDir}/`)).toBe(true)
    const source = resolve(root, rootDir, file.slice(outDir.length + 1).replace(/\.js$/, '.ts'))
    expect(existsSync(source), `${source} is compiled to ${file}`).toBe(true)
    expect(buildConfig.include.some((dir) => source.startsWith(resolve(root, dir) + '/'))).toBe(true)
    expect(runtimeCopies).toContain(outDir)
  })

  it('the CLI needs no development dependency at run time (the image prunes them)', () => {
    const packages = runtimePackages(resolve(root, 'cli/main.ts'))
    expect(packages.size).toBeGreaterThan(3)
    const missing = [...packages].filter((name) => !(name in manifest.dependencies))
    expect(missing).toEqual([])
  })
})
