import { ConfigError, PipelineError } from './errors.js'
import { EXIT } from './lifecycle.js'

/** One screen an operator can act on: the stable code first, then the message (and its cause). */
export function formatError(err: unknown): string {
  if (err instanceof ConfigError) return `error [${err.code}] ${err.message}`
  if (err instanceof PipelineError) {
    const cause = err.cause instanceof Error ? `\n  cause: ${err.cause.message}` : ''
    return `error [${err.code}] ${err.message}${cause}`
  }
  if (err instanceof Error) return `error: ${err.stack ?? err.message}`
  return `error: ${String(err)}`
}

/** sysexits: 78 for configuration errors, 1 for everything else. */
export function exitCodeFor(err: unknown): number {
  return err instanceof ConfigError ? EXIT.config : EXIT.failure
}
