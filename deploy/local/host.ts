// Host helpers of the local stack's installer: ports, commands, set-up steps.
import { spawn, spawnSync } from 'node:child_process'
import { createConnection } from 'node:net'
import { PipelineError } from '../../core/errors.js'

export function portOpen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host })
    socket.setTimeout(1_000)
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('timeout', () => {
      socket.destroy()
      resolve(false)
    })
    socket.once('error', () => resolve(false))
  })
}

/** Runs a set-up command to completion; on failure the error carries its output's tail. */
export function runOrThrow(
  what: string,
  command: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): void {
  const result = spawnSync(command, args, { ...options, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
  if (result.error || result.status !== 0) {
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trimEnd().split('\n').slice(-30).join('\n')
    throw new PipelineError(
      'STACK_INSTALL_FAILED',
      `${what} failed (${command} exited ${result.status ?? result.error?.message}):\n${output}`,
      {
        cause: result.error,
      },
    )
  }
}

/**
 * As runOrThrow, without blocking the event loop: the three Kafka nodes format in parallel while
 * InfluxDB's readiness requests (with their own timeouts) are in flight.
 */
export function runAsyncOrThrow(what: string, command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    const keep = (chunk: Buffer): void => {
      output = (output + chunk.toString('utf8')).slice(-16_384)
    }
    child.stdout.on('data', keep)
    child.stderr.on('data', keep)
    child.once('error', (err) =>
      reject(new PipelineError('STACK_INSTALL_FAILED', `${what} failed: ${err.message}`, { cause: err })),
    )
    child.once('close', (code) => {
      if (code === 0) return resolve()
      const tail = output.trimEnd().split('\n').slice(-30).join('\n')
      reject(
        new PipelineError('STACK_INSTALL_FAILED', `${what} failed (${command} exited ${code}):\n${tail}`),
      )
    })
  })
}

export function commandExists(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0
}
