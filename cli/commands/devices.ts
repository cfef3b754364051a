import { resolve } from 'node:path'
import { InvalidArgumentError, Option, type Command } from 'commander'
import { CLIENT_ROLES, type ClientRole } from '../../gateway/auth.js'
import type { DeviceSummary } from '../../gateway/device-store/device-store.js'
import { openDeviceStoreFile } from '../../gateway/device-store/open-device-store.js'
import { sequentialDeviceIds, type ProvisionTarget } from '../../gateway/device-store/provision.js'
import {
  DEFAULT_DEVICE_STORE_FILE,
  defaultDeviceStorePath,
  saveDeviceStoreFile,
} from '../../gateway/device-store/device-store-file.js'
import { KNOWN_DEVICE_TYPES, type KnownDeviceType } from '../../core/telemetry/device-types.js'
import { repoRoot, say } from '../context.js'
import {
  enrolmentTargets,
  provisionToFiles,
  type EnrolmentDevice,
} from '../../gateway/device-store/fleet-enrolment.js'

/** `--registry <file>`: the device store file (the flag keeps its name; see ADR 0005). */
interface StoreFileOption {
  registry?: string
}

interface ContextOptions {
  type?: KnownDeviceType
  site?: string
  subject?: string
  role?: ClientRole
}

interface ProvisionOptions extends StoreFileOption, Omit<ContextOptions, 'subject'> {
  fleet?: string
  count?: number
  prefix: string
  out: string
}

const storeFile = (options: StoreFileOption): string =>
  options.registry ? resolve(options.registry) : defaultDeviceStorePath(repoRoot())

// Every subcommand reads a missing store as empty: the first `add` creates it.
const openStore = openDeviceStoreFile

const note = (line: string): void => {
  process.stderr.write(`${line}\n`)
}

const SITE_HELP = 'ward or site label, e.g. ward-3'

const storeFileOption = (): Option =>
  new Option('-r, --registry <file>', `device store file (default: ${DEFAULT_DEVICE_STORE_FILE} in the repo)`)

const typeOption = (hint = ''): Option =>
  new Option('-t, --type <type>', `device type${hint ? ` (${hint})` : ''}`).choices(KNOWN_DEVICE_TYPES)

export function registerDevices(program: Command): void {
  const devices = program
    .command('devices')
    .description(
      'Device identities for the gateway: per-device secrets (stored hashed), revocation, credentials.',
    )

  devices
    .command('add')
    .description('Register a device and print its new secret, once (the device store keeps only a hash).')
    .argument('<deviceId>', "device id: 1–64 letters, digits, '.', '_' or '-'")
    .addOption(typeOption())
    .option('-s, --site <site>', SITE_HELP)
    .option('--subject <id>', 'pseudonymous subject id (a random token, never a name or MRN)')
    .addOption(
      new Option(
        '--role <role>',
        'device: its own telemetry; alert-publisher: the MQTT alert sink (publishes alerts/{id}); ' +
          'alert-viewer: a clinician app (subscribes to alerts/+); alert-operator: a clinician app that may ' +
          'also acknowledge, silence and reset (publishes commands/alerts). Default: device; --rotate keeps the role',
      ).choices(CLIENT_ROLES),
    )
    .option('--rotate', 'issue a new secret if the device is already registered')
    .option('--json', 'print {"deviceId", "secret", "outcome"} as JSON')
    .addOption(storeFileOption())
    .action(
      (
        deviceId: string,
        options: StoreFileOption & ContextOptions & { rotate?: boolean; json?: boolean },
      ) => {
        const file = storeFile(options)
        const store = openStore(file)
        const { secret, outcome } = store.add(deviceId, {
          ...contextOf(options),
          rotate: options.rotate ?? false,
        })
        saveDeviceStoreFile(file, store.toData())
        if (options.json) {
          say(JSON.stringify({ deviceId, secret, outcome }))
          return
        }
        // The note goes to stderr so that `secret=$(pulsewire devices add …)` captures the secret alone.
        note(`${outcome} ${deviceId} in ${file}; its secret, shown only this once:`)
        say(secret)
      },
    )

  devices
    .command('list')
    .description('List registered devices and their status; secrets and hashes are never shown.')
    .option('--json', 'machine-readable output')
    .addOption(storeFileOption())
    .action((options: StoreFileOption & { json?: boolean }) => {
      const file = storeFile(options)
      const rows = openStore(file).list()
      if (options.json) say(JSON.stringify(rows, null, 2))
      else if (rows.length === 0)
        note(`no devices in ${file}; add one with: pulsewire devices add <deviceId>`)
      else for (const line of formatDeviceTable(rows)) say(line)
    })

  devices
    .command('revoke')
    .description(
      'Revoke a device: from its next device-store poll (within 1 s, no restart) the gateway refuses it and closes its open connections.',
    )
    .argument('<deviceId>', 'device id')
    .addOption(storeFileOption())
    .action((deviceId: string, options: StoreFileOption) => {
      const file = storeFile(options)
      const store = openStore(file)
      const { revokedAt, alreadyRevoked } = store.revoke(deviceId)
      if (alreadyRevoked) {
        say(`${deviceId} was already revoked at ${revokedAt}`)
        return
      }
      saveDeviceStoreFile(file, store.toData())
      say(`revoked ${deviceId} at ${revokedAt}`)
    })

  devices
    .command('provision')
    .description(
      'Register (or rotate) every device of a simulator fleet, or N numbered devices, and write the ' +
        'deviceId → secret map that `pulsewire sim --credentials` reads.',
    )
    .option('-f, --fleet <file>', 'simulator fleet file (YAML): every device id it runs')
    .option('-n, --count <n>', 'instead of --fleet: this many devices <prefix>0001…', parseCount)
    .option('-p, --prefix <prefix>', 'device id prefix with --count', 'dev-')
    .addOption(typeOption('with --count; a fleet gives each group its profile type'))
    .option('-s, --site <site>', SITE_HELP)
    .requiredOption('-o, --out <file>', 'credentials file to write (JSON, mode 0600)')
    .addOption(storeFileOption())
    .action(async (options: ProvisionOptions, command: Command) => {
      if ((options.fleet === undefined) === (options.count === undefined)) {
        command.error('error: give either --fleet <file> or --count <n>')
      }
      const targets = options.fleet
        ? enrolmentTargets(await fleetDevicesOf(options.fleet), { type: options.type, site: options.site })
        : sequentialDeviceIds(options.prefix, options.count ?? 0).map((deviceId) => ({
            deviceId,
            ...contextOf(options),
          }))
      const file = storeFile(options)
      const out = resolve(options.out)
      const result = provisionToFiles(targets, file, out)
      say(
        `provisioned ${targets.length} devices (${result.added} new, ${result.rotated} rotated, ` +
          `${result.reEnrolled} re-enrolled) in ${file}; credentials in ${out} (mode 0600)`,
      )
    })
}

function contextOf(options: ContextOptions): Omit<ProvisionTarget, 'deviceId'> {
  return { type: options.type, site: options.site, subjectId: options.subject, role: options.role }
}

export function formatDeviceTable(rows: readonly DeviceSummary[]): string[] {
  // The ROLE column appears once a device store holds more than devices (alert publishers, viewers).
  const withRoles = rows.some((d) => d.role !== undefined && d.role !== 'device')
  const role = (d: DeviceSummary): string[] => (withRoles ? [d.role ?? 'device'] : [])
  const cells = rows.map((d) => [d.deviceId, ...role(d), d.type ?? '-', d.site ?? '-', d.status, d.createdAt])
  const header = ['DEVICE', ...(withRoles ? ['ROLE'] : []), 'TYPE', 'SITE', 'STATUS', 'CREATED']
  const table = [header, ...cells]
  const widths = table[0]!.map((_, c) => Math.max(...table.map((row) => row[c]!.length)))
  const revoked = rows.filter((d) => d.status === 'revoked').length
  return [
    ...table.map((row) =>
      row
        .map((cell, c) => cell.padEnd(widths[c]!))
        .join('  ')
        .trimEnd(),
    ),
    `${rows.length} devices: ${rows.length - revoked} active, ${revoked} revoked`,
  ]
}

function parseCount(value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1 || n > 100_000)
    throw new InvalidArgumentError(`expected a whole number 1–100000, got "${value}"`)
  return n
}

/** Loaded on demand: only fleet provisioning needs the simulator's fleet parsing and profiles. */
async function fleetDevicesOf(fleetFile: string): Promise<EnrolmentDevice[]> {
  const { fleetDevices } = await import('../../devices-sim/fleet/fleet-devices.js')
  return fleetDevices(fleetFile)
}
