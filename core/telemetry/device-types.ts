// The device-type table: everything that differs by device type, in one place (issue #13). It is
// keyed by the generated proto enum, so a value added to telemetry.proto and regenerated with
// `npm run gen` fails `tsc` until it has a row here; channels, simulator id prefixes and the
// missing-data defaults are read from the row instead of from hand-kept lists.
import { pulsewire } from '../../proto/gen/pulsewire.js'
import { CHANNELS } from './topics.js'

const WIRE_DEVICE_TYPE = pulsewire.telemetry.v1.DeviceType

/** The generated enum's member names: `DEVICE_TYPE_UNSPECIFIED`, `DEVICE_TYPE_BEDSIDE_MONITOR`, … */
export type WireDeviceTypeKey = keyof typeof WIRE_DEVICE_TYPE

type Dashed<S extends string> = S extends `${infer Head}_${infer Tail}` ? `${Head}-${Dashed<Tail>}` : S

/** `DEVICE_TYPE_BEDSIDE_MONITOR` → `bedside-monitor`: the name the domain, YAML and headers use. */
export type DeviceTypeNameOf<K extends string> = K extends `DEVICE_TYPE_${infer Rest}`
  ? Lowercase<Dashed<Rest>>
  : never

/** Every device type on the wire, derived from the proto enum (not a hand list). */
export type DeviceType = DeviceTypeNameOf<WireDeviceTypeKey>

/** A device type that says what the device is: every enum value but UNSPECIFIED. */
export type KnownDeviceType = Exclude<DeviceType, 'unspecified'>

/** The runtime twin of DeviceTypeNameOf. */
export const deviceTypeNameOf = (wireKey: string): string =>
  wireKey
    .replace(/^DEVICE_TYPE_/, '')
    .toLowerCase()
    .replaceAll('_', '-')

interface DeviceTypeBase {
  /** Words for help texts and config descriptions ("bedside monitor"). */
  label: string
  /** Default device-id prefix of a simulator fleet group (`<idPrefix><0001…>`). */
  idPrefix: string
  /**
   * Expected reporting cadence, ms: the simulator profile's default publish interval and the
   * missing-data rule's default expected interval (silence of k × this is communication loss).
   */
  reportIntervalMs: number
}

/**
 * One row. Medical devices carry vital signs to the vitals channel, everything else goes to the
 * environment channel; the union makes a medical type on the environment channel a type error.
 */
export type DeviceTypeSpec = DeviceTypeBase &
  ({ medical: true; channel: 'vitals' } | { medical: false; channel: 'environment' })

/** The table. Row order is irrelevant; the wire numbers come from the enum. */
export const DEVICE_TYPE_TABLE = {
  'bedside-monitor': {
    label: 'bedside monitor',
    medical: true,
    channel: 'vitals',
    idPrefix: 'bm-',
    reportIntervalMs: 1000,
  },
  wearable: {
    label: 'wearable',
    medical: true,
    channel: 'vitals',
    idPrefix: 'wr-',
    reportIntervalMs: 60_000,
  },
  'infusion-pump': {
    label: 'infusion pump',
    medical: true,
    channel: 'vitals',
    idPrefix: 'ip-',
    reportIntervalMs: 10_000,
  },
  'environmental-sensor': {
    label: 'environmental sensor',
    medical: false,
    channel: 'environment',
    idPrefix: 'env-',
    reportIntervalMs: 10_000,
  },
  'vibration-sensor': {
    label: 'vibration sensor',
    medical: false,
    channel: 'environment',
    idPrefix: 'vib-',
    reportIntervalMs: 1000,
  },
} as const satisfies Record<KnownDeviceType, DeviceTypeSpec>

/** What a device that does not say its type (UNSPECIFIED) is treated as: not medical. */
export const UNSPECIFIED_DEVICE_TYPE: DeviceTypeSpec = {
  label: 'device of unspecified type',
  medical: false,
  channel: 'environment',
  idPrefix: 'dev-',
  reportIntervalMs: 10_000,
}

const WIRE_ENTRIES = (Object.entries(WIRE_DEVICE_TYPE) as Array<[WireDeviceTypeKey, number]>)
  .map(([key, wire]) => [deviceTypeNameOf(key) as DeviceType, wire] as const)
  .sort((a, b) => a[1] - b[1])

/** Every device type, in wire-number order (`unspecified` first). */
export const DEVICE_TYPES = WIRE_ENTRIES.map(([name]) => name) as readonly DeviceType[] as readonly [
  DeviceType,
  ...DeviceType[],
]

/** Every device type but `unspecified`, in wire-number order: what fleets, rules and the registry accept. */
export const KNOWN_DEVICE_TYPES = DEVICE_TYPES.filter(
  (type): type is KnownDeviceType => type !== 'unspecified',
) as readonly KnownDeviceType[] as readonly [KnownDeviceType, ...KnownDeviceType[]]

const BY_WIRE = new Map<number, DeviceType>(WIRE_ENTRIES.map(([name, wire]) => [wire, name]))
const TO_WIRE = new Map<DeviceType, number>(WIRE_ENTRIES)

/** The domain name of a wire value; undefined for a value this build does not know. */
export const deviceTypeFromWire = (wire: number): DeviceType | undefined => BY_WIRE.get(wire)

/** The wire value of a device type (the proto enum number). */
export const deviceTypeToWire = (type: DeviceType): number => TO_WIRE.get(type) ?? 0

export const isKnownDeviceType = (type: string | undefined): type is KnownDeviceType =>
  type !== undefined && Object.hasOwn(DEVICE_TYPE_TABLE, type)

/** A type's row; `unspecified` gets UNSPECIFIED_DEVICE_TYPE. */
export const deviceTypeSpec = (type: DeviceType): DeviceTypeSpec =>
  type === 'unspecified' ? UNSPECIFIED_DEVICE_TYPE : DEVICE_TYPE_TABLE[type]

/** The Kafka channel a device type's telemetry goes to. */
export const deviceTypeChannel = (type: DeviceType): (typeof CHANNELS)['vitals' | 'environment'] =>
  CHANNELS[deviceTypeSpec(type).channel]

/** One value per known type, built from its row (a typed Object.fromEntries over the table). */
export function mapDeviceTypes<V>(
  fn: (spec: DeviceTypeSpec, type: KnownDeviceType) => V,
): Record<KnownDeviceType, V> {
  return Object.fromEntries(
    KNOWN_DEVICE_TYPES.map((type) => [type, fn(DEVICE_TYPE_TABLE[type], type)]),
  ) as Record<KnownDeviceType, V>
}
