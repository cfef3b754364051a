import type { Kafka } from './rdkafka.js'

type NativeConsumer = InstanceType<typeof Kafka.KafkaConsumer>

// Ports stay free of node-rdkafka types; code inside core/kafka that needs the client behind a
// port (a transaction committing a consumer's offsets) looks it up here.
const consumers = new WeakMap<object, NativeConsumer>()

export function registerNativeConsumer(port: object, client: NativeConsumer): void {
  consumers.set(port, client)
}

export function nativeConsumer(port: object): NativeConsumer | undefined {
  return consumers.get(port)
}
