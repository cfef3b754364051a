import { consoleSink } from './console/console.js'
import { jsonlSink } from './jsonl/jsonl.js'
import { mqttSink } from './mqtt/mqtt.js'
import { webhookSink } from './webhook/webhook.js'
import { defineSink, type RegisteredSink } from './sink.js'

/** Every sink type, explicitly (no registration by import side effect), like rules/index.ts. */
export const SINK_TYPES: readonly RegisteredSink[] = [
  defineSink(consoleSink),
  defineSink(webhookSink),
  defineSink(mqttSink),
  defineSink(jsonlSink),
]
