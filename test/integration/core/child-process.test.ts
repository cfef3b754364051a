import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { spawnChild, waitReady } from '../../../core/process/child-process.js'
import { isAlive } from '../../../core/process/pid-file.js'
import { waitFor } from '../../helpers/wait.js'

const dir = mkdtempSync(join(tmpdir(), 'pulsewire-child-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const node = (name: string, script: string, logFile?: string, detached = false) =>
  spawnChild({
    name,
    command: process.execPath,
    args: ['-e', script],
    output: logFile ? { logFile } : 'pipe',
    detached,
  })

describe('integration > core > child process', () => {
  it('captures piped output, waits for a line and stops on SIGTERM without force', async () => {
    const child = node(
      'polite',
      `console.log('ready'); process.on('SIGTERM', () => process.exit(0)); setInterval(() => {}, 1000)`,
    )
    await child.waitFor('ready', 10_000)
    expect(child.stdout()).toBe('ready\n')
    expect(await child.stop({ graceMs: 5_000 })).toEqual({ forced: false, exit: 0 })
    expect(child.hasExited()).toBe(true)
  })

  it('SIGKILLs a child that outlives the grace period and resolves once it is gone', async () => {
    const child = node(
      'stubborn',
      `process.on('SIGTERM', () => {}); console.log('up'); setInterval(() => {}, 1000)`,
    )
    await child.waitFor('up', 10_000)
    expect(await child.stop({ graceMs: 200 })).toEqual({ forced: true, exit: 'SIGKILL' })
    expect(isAlive(child.pid)).toBe(false)
  })

  it('appends to a log file, stops a detached child by its process group, kills for a fault', async () => {
    const logFile = join(dir, 'server.log')
    // The detached child starts a grandchild in its group: a group stop reaches both.
    const child = node(
      'server',
      `const { spawn } = require('node:child_process');
       const g = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
       console.log('grandchild ' + g.pid); setInterval(() => {}, 1000)`,
      logFile,
      true,
    )
    await waitReady(child, () => child.stdout().includes('grandchild'), { timeoutMs: 10_000 })
    const grandchild = Number(/grandchild (\d+)/.exec(readFileSync(logFile, 'utf8'))?.[1])
    expect(isAlive(grandchild)).toBe(true)
    expect((await child.stop({ graceMs: 5_000 })).exit).toBe('SIGTERM')
    await waitFor(() => !isAlive(grandchild), { timeoutMs: 5_000, what: 'the grandchild to exit' }).catch(
      () => undefined, // asserted next
    )
    expect(isAlive(grandchild)).toBe(false)

    const victim = node('victim', 'setInterval(() => {}, 1000)', logFile)
    expect(await victim.kill()).toBe('SIGKILL')
  })

  it('fails readiness with the output when the child exits during start-up', async () => {
    const child = node('broken', `console.error('bad config'); process.exit(78)`)
    await expect(waitReady(child, () => false, { timeoutMs: 10_000 })).rejects.toThrow(
      /broken exited during start-up \(78\):\n[\s\S]*bad config/,
    )
  })
})
