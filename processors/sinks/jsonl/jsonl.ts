import { mkdir, open, type FileHandle } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { z } from 'zod'
import { toAlertJson } from '../alert-json.js'
import { retriableFailure, type SinkPlugin } from '../sink.js'

export const jsonlConfigSchema = z.strictObject({
  file: z
    .string()
    .min(1)
    .describe('File the transitions are appended to, one JSON object per line; created with its directory.'),
})
export type JsonlConfig = z.output<typeof jsonlConfigSchema>

export const jsonlSink: SinkPlugin<JsonlConfig> = {
  type: 'jsonl',
  summary: 'One JSON line per transition appended to a file, fsynced before the batch is committed.',
  configSchema: jsonlConfigSchema,
  create(config) {
    const path = resolve(config.file)
    let handle: FileHandle | undefined
    let unsynced = false
    return {
      async start() {
        await mkdir(dirname(path), { recursive: true })
        handle = await open(path, 'a', 0o640)
      },
      async deliver(event) {
        if (!handle) throw retriableFailure(`${path} is not open`)
        // One write per line in append mode: a line is never interleaved with another writer's.
        try {
          await handle.write(`${JSON.stringify(toAlertJson(event))}\n`)
        } catch (err) {
          // A full disk may be freed: worth retrying, then dead-lettered like any failure.
          throw retriableFailure(`cannot append to ${path}: ${(err as Error).message}`, err)
        }
        unsynced = true
      },
      async flush() {
        // Once per batch, before its offsets are committed: what was committed is on disk.
        if (!handle || !unsynced) return
        await handle.sync()
        unsynced = false
      },
      async stop() {
        await handle?.sync()
        await handle?.close()
        handle = undefined
      },
    }
  },
}
