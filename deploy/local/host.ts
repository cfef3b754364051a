// Host helpers of the local stack's installer: ports, commands, set-up steps.
import { spawnSync } from 'node:child_process'
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

export function commandExists(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0
}
