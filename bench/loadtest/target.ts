import type { TargetGroup } from './group-lag.js'
import type { TelemetryFormat } from './taps.js'

/**
 * What a load test runs against: our pipeline, or a peer (bench/peer) driven by the same load
 * generator and reconciled the same way. A target starts its processes, says where devices
 * connect and where their readings land, and names the processes whose CPU and RSS are reported.
 */
export interface LoadTargetProcess {
  /** Short role name shown in the report, e.g. "gateway", "storage", "mosquitto", "kafka". */
  name: string
  pid: number
}

export interface LoadTargetEndpoints {
  /** Where the simulated devices connect, e.g. mqtt://127.0.0.1:19870. */
  mqttUrl: string
  /** MQTT password per device id; undefined when the broker takes anonymous clients. */
  credentials?: Readonly<Record<string, string>>
  /**
   * Kafka bootstrap servers and the topics the target writes telemetry to (key = device id):
   * our protobuf payload ('protobuf', the default) or InfluxDB line protocol with tag device_id
   * and integer field seq ('influx-line': one record per point, as Telegraf's outputs.kafka writes).
   */
  kafka: { brokers: string; topics: readonly string[]; format?: TelemetryFormat }
  /** InfluxDB 1.8 database where readings land: measurement per family, tag device_id, field per metric, time = reading time. */
  influx: { url: string; database: string; measurement: string }
  /** Kafka topic of alert events (pulsewire.alerts.v1 AlertEvent) when the target raises alerts; absent for peers without alerting. */
  alertTopic?: string
  /** Every process whose CPU and RSS the report shows (the load generator reports itself). */
  processes: readonly LoadTargetProcess[]
  /**
   * Longest the target may hold an acknowledged reading before writing it to InfluxDB (e.g. a
   * client's flush interval). The drain waits past it, so buffering is reported as latency, not loss.
   */
  storeFlushIntervalMs?: number
  /** Consumer groups whose lag at the end of the load is reported (and judged by the capacity search). */
  consumerGroups?: readonly TargetGroup[]
  /** Caveats shown with the figures: a process that could not be measured, one shared with other clients. */
  notes?: readonly string[]
}

export interface LoadTarget {
  /** "pulsewire" or a peer's name; appears in reports and result files. */
  readonly name: string
  /**
   * Starts the target for these device ids (enrolling them where the target needs credentials).
   * `load.sendIntervalMs` is each device's cadence in this run, for targets whose rules expect one.
   */
  start(deviceIds: readonly string[], load?: { sendIntervalMs: number }): Promise<LoadTargetEndpoints>
  /** Stops every process the target started, by PID, and waits for them to exit. */
  stop(): Promise<void>
  /**
   * Kills (SIGKILL) one of the target's processes and restarts it: the deliberate fault of `--fault`.
   * Returning the restarted process (its new PID) lets the report keep measuring its CPU and RSS.
   */
  crash?(processName: string): Promise<LoadTargetProcess | void>
}
