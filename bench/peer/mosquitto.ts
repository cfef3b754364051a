import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { userInfo } from 'node:os'
import { join } from 'node:path'
import { PipelineError } from '../../core/errors.js'
import { DEVICE_TOPIC_ROOT } from '../../core/telemetry/mqtt-topics.js'
import { spawnChild, waitReady, type Child } from '../../core/process/child-process.js'
import { commandExists, portOpen } from '../../deploy/local/host.js'

/** The MQTT user the bridge subscribes as; devices use their own id as user name. */
export const BRIDGE_MQTT_USER = 'peer-bridge'

export interface MosquittoFiles {
  dir: string
  port: number
  /** Plain-text device secrets, handed to the load generator (the broker only keeps hashes). */
  deviceSecrets: Record<string, string>
  bridgePassword: string
}

/**
 * Writes the broker's configuration into `dir`: Debian's Mosquitto with its defaults, except
 * what a benchmark needs to be fair and contained — loopback only, TCP_NODELAY (our gateway
 * sets it too), no persistence file, and the same per-device authentication our gateway does
 * (user = device id, password checked, each device may publish only under its own topic).
 */
export function writeMosquittoFiles(
  dir: string,
  port: number,
  deviceIds: readonly string[],
  /** Outgoing QoS 1 window and queue per subscriber session (Mosquitto's defaults: 20 and 1000). */
  limits?: { maxInflight: number; maxQueued: number },
): MosquittoFiles {
  const deviceSecrets: Record<string, string> = {}
  for (const id of deviceIds) deviceSecrets[id] = randomBytes(16).toString('hex')
  const bridgePassword = randomBytes(16).toString('hex')

  // mosquitto_passwd -U hashes a whole plain-text file in one call (10 000 users in ~0.6 s).
  const passwordFile = join(dir, 'passwd')
  const plain = [
    `${BRIDGE_MQTT_USER}:${bridgePassword}`,
    ...deviceIds.map((id) => `${id}:${deviceSecrets[id]}`),
  ]
  writeFileSync(passwordFile, `${plain.join('\n')}\n`, { mode: 0o600 })
  const hashed = spawnSync('mosquitto_passwd', ['-U', passwordFile], { encoding: 'utf8' })
  if (hashed.status !== 0) {
    throw new PipelineError(
      'STACK_START_FAILED',
      `mosquitto_passwd -U failed: ${hashed.stderr || hashed.error?.message || ''}`,
    )
  }

  const aclFile = join(dir, 'acl')
  writeFileSync(
    aclFile,
    [
      `user ${BRIDGE_MQTT_USER}`,
      `topic read ${DEVICE_TOPIC_ROOT}/+/telemetry`,
      '',
      // Patterns apply to every user: %u is the user name, which is the device id.
      `pattern write ${DEVICE_TOPIC_ROOT}/%u/telemetry`,
      `pattern write ${DEVICE_TOPIC_ROOT}/%u/status`,
      `pattern read ${DEVICE_TOPIC_ROOT}/%u/commands`,
      'pattern read alerts/%u',
      '',
    ].join('\n'),
  )

  writeFileSync(
    join(dir, 'mosquitto.conf'),
    [
      `listener ${port} 127.0.0.1`,
      'set_tcp_nodelay true',
      'persistence false',
      'allow_anonymous false',
      // Run as whoever runs the bench: as root, Mosquitto would otherwise switch to the
      // "mosquitto" account, which cannot read this private temp directory.
      `user ${userInfo().username}`,
      `password_file ${passwordFile}`,
      `acl_file ${aclFile}`,
      `log_dest file ${join(dir, 'mosquitto.log')}`,
      ...(limits
        ? [`max_inflight_messages ${limits.maxInflight}`, `max_queued_messages ${limits.maxQueued}`]
        : []),
      '',
    ].join('\n'),
  )
  return { dir, port, deviceSecrets, bridgePassword }
}

/** Starts `mosquitto -c` in the foreground as our child (no -d), so its PID is the broker's. */
export async function startMosquitto(files: MosquittoFiles, readyTimeoutMs = 10_000): Promise<Child> {
  if (!commandExists('mosquitto')) {
    throw new PipelineError(
      'STACK_PREREQUISITE_MISSING',
      'the peer needs Mosquitto (Debian: apt-get install mosquitto; deploy/scripts/setup.sh installs it)',
    )
  }
  if (await portOpen(files.port)) {
    throw new PipelineError('STACK_PORT_IN_USE', `port ${files.port} is taken: pick another peer MQTT port`)
  }
  const logFile = join(files.dir, 'mosquitto.log')
  // Start-up errors (bad config) go to stderr before the log file is opened.
  const child = spawnChild({
    name: 'mosquitto',
    command: 'mosquitto',
    args: ['-c', join(files.dir, 'mosquitto.conf')],
    output: { logFile: join(files.dir, 'mosquitto.out') },
  })
  await waitReady(
    child,
    async () =>
      existsSync(logFile) &&
      readFileSync(logFile, 'utf8').includes(' running') &&
      (await portOpen(files.port)),
    { timeoutMs: readyTimeoutMs },
  )
  return child
}

export function mosquittoVersion(): string {
  const result = spawnSync('mosquitto', ['-h'], { encoding: 'utf8' })
  return /mosquitto version (\S+)/.exec(`${result.stdout}${result.stderr}`)?.[1] ?? 'unknown'
}
