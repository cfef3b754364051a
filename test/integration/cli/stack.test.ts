import { existsSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { repoRoot, runCli } from '../../helpers/cli.js'

// A second, throw-away stack on its own ports and state directory, so that stopping it cannot
// disturb the stack the rest of the suite uses. It reuses the installed jars and binary.
const stateDir = join(repoRoot, '.pulsewire', 'it-stack')
const env = {
  PULSEWIRE__STATE_DIR: stateDir,
  PULSEWIRE__KAFKA_BROKER__PORT: '19192',
  PULSEWIRE__KAFKA_BROKER__CONTROLLER_PORT: '19193',
  PULSEWIRE__KAFKA_BROKER__HEAP_MB: '384',
  PULSEWIRE__INFLUXDB_SERVER__PORT: '18186',
  PULSEWIRE__INFLUXDB_SERVER__RPC_PORT: '18188',
  PULSEWIRE__PROMETHEUS__PORT: '19190',
}
const pidOf = (name: string): number => Number(readFileSync(join(stateDir, 'pids', `${name}.pid`), 'utf8'))
const alive = (pid: number): boolean =>
  existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ')

afterAll(() => {
  runCli(['stack', 'down'], env)
  rmSync(stateDir, { recursive: true, force: true })
})

describe('integration > cli > pulsewire stack', () => {
  it('starts, reports, restarts idempotently and stops by PID leaving no process behind', () => {
    const up = runCli(['stack', 'up', '--fresh'], env)
    expect(up.stderr).toBe('')
    expect(up.status).toBe(0)
    expect(up.stdout).toContain('kafka     ready on 127.0.0.1:19192')
    expect(up.stdout).toContain('influxdb  ready on http://127.0.0.1:18186')
    expect(up.stdout).toContain('channels  8 ready (8 created)')

    const status = runCli(['stack', 'status', '--json'], env)
    expect(status.status).toBe(0)
    const services = JSON.parse(status.stdout) as Array<{ ready: boolean; pid: number }>
    expect(services.map((s) => s.ready)).toEqual([true, true])

    const kafkaPid = pidOf('kafka')
    const influxPid = pidOf('influxdb')
    const again = runCli(['stack', 'up'], env)
    expect(again.status).toBe(0)
    expect(again.stdout).toContain('channels  8 ready\n')
    expect([pidOf('kafka'), pidOf('influxdb')]).toEqual([kafkaPid, influxPid])

    // --with-prometheus: Debian's Prometheus on its own port and data dir, remembered by later `stack up`s.
    const withProm = runCli(['stack', 'up', '--with-prometheus'], env)
    expect(withProm.stderr).toBe('')
    expect(withProm.stdout).toContain('prometheus ready on http://127.0.0.1:19190 (5 targets every 5 s')
    const promPid = pidOf('prometheus')
    expect(alive(promPid)).toBe(true)
    expect(readFileSync(join(stateDir, 'prometheus', 'prometheus.yml'), 'utf8')).toContain('"127.0.0.1:9101"')
    const withStatus = JSON.parse(runCli(['stack', 'status', '--json'], env).stdout) as Array<{
      name: string
      ready: boolean
    }>
    expect(withStatus.map((s) => [s.name.split(' ')[0], s.ready])).toEqual([
      ['kafka', true],
      ['influxdb', true],
      ['prometheus', true],
    ])
    const kept = runCli(['stack', 'up'], env)
    expect(kept.stdout).toContain('prometheus kept')
    expect(pidOf('prometheus')).toBe(promPid)

    const down = runCli(['stack', 'down'], env)
    expect(down.status).toBe(0)
    expect(down.stdout).toContain(`prometheus stopped (pid ${promPid})`)
    expect(alive(kafkaPid)).toBe(false)
    expect(alive(influxPid)).toBe(false)
    expect(alive(promPid)).toBe(false)
    const after = runCli(['stack', 'status'], env)
    expect(after.status).toBe(3)
    expect(after.stdout).toMatch(/kafka 4\.1\.1\s+stopped/)
  })

  it('refuses to start on a port another program holds, with a clear code', async () => {
    const { createServer } = await import('node:net')
    const blocker = createServer()
    await new Promise<void>((resolve) => blocker.listen(19192, '127.0.0.1', resolve))
    try {
      const result = runCli(['stack', 'up'], env)
      expect(result.status).toBe(1)
      expect(result.stderr).toContain('STACK_PORT_IN_USE')
    } finally {
      runCli(['stack', 'down'], env)
      blocker.close()
    }
  })
})
