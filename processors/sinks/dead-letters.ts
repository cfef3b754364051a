import { mkdir, open, type FileHandle } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { AlertEvent } from '../../core/alerts/alert-event.js'
import { PipelineError } from '../../core/errors.js'
import { toAlertJson, type AlertJson } from './alert-json.js'

/** Where a dead-lettered transition was read, so it can be found again on the channel. */
export interface RecordSource {
  topic: string
  partition: number
  offset: number
}

/** One line of a dead-letter file: what could not be delivered, why, and after how many attempts. */
export interface DeadLetterLine {
  deadLetteredAt: string
  sink: string
  attempts: number
  error: { code: string; message: string }
  source: RecordSource
  event: AlertJson
}

export interface DeadLetter {
  event: AlertEvent
  source: RecordSource
  attempts: number
  error: { code: string; message: string }
  atMs: number
}

export interface DeadLetterFile {
  readonly path: string
  /** Resolves once the line is on disk (fsync): only then may the batch's offsets be committed. */
  write(letter: DeadLetter): Promise<void>
  close(): Promise<void>
}

/**
 * An append-only JSONL file per sink. Dead letters are rare and must be inspectable with `jq` by
 * whoever is on call, and must not depend on the Kafka or receiver that just failed (ADR 0007).
 * The file is created on the first letter, so a healthy sink leaves nothing behind.
 */
export function createDeadLetterFile(path: string, sink: string): DeadLetterFile {
  let handle: FileHandle | undefined
  let queue: Promise<void> = Promise.resolve()

  async function append(letter: DeadLetter): Promise<void> {
    try {
      if (!handle) {
        await mkdir(dirname(path), { recursive: true })
        handle = await open(path, 'a', 0o600)
      }
      const line: DeadLetterLine = {
        deadLetteredAt: new Date(letter.atMs).toISOString(),
        sink,
        attempts: letter.attempts,
        error: letter.error,
        source: letter.source,
        event: toAlertJson(letter.event),
      }
      await handle.write(`${JSON.stringify(line)}\n`)
      await handle.sync()
    } catch (err) {
      throw new PipelineError('SINK_DEAD_LETTER_FAILED', `cannot write the dead-letter file ${path}`, {
        cause: err,
        context: { sink },
      })
    }
  }

  return {
    path,
    write(letter) {
      // Serialised, so concurrent letters never interleave within a line.
      const next = queue.then(() => append(letter))
      queue = next.catch(() => undefined)
      return next
    },
    async close() {
      await queue
      await handle?.close()
      handle = undefined
    },
  }
}
