import type { Command } from 'commander'
import { runSim } from '../../devices-sim/main.js'

export function registerSim(program: Command): void {
  program
    .command('sim')
    .description('Run a fleet of simulated devices (profiles, scenarios, faults) against the MQTT gateway.')
    .argument('[fleet]', 'fleet file (YAML)', 'deploy/fleets/ward-and-factory.yaml')
    .option('-d, --duration <seconds>', 'stop after this many seconds (default: until Ctrl-C)', parsePositive)
    .option(
      '--url <url>',
      'broker URL or comma-separated gateway list, overriding the fleet file (e.g. mqtt://127.0.0.1:1883,mqtt://127.0.0.1:1884)',
    )
    .option('--credentials <file>', 'deviceId → password map (YAML/JSON), overriding the fleet file')
    .option('--ground-truth <file>', 'write what was injected, for which device, when (JSON lines)')
    .option('--sent <file>', 'write per-device sequence ranges at the end (for reconciliation)')
    .option('--json', 'progress and summary as JSON lines on stdout')
    .action(
      async (
        fleetFile: string,
        options: {
          duration?: number
          url?: string
          credentials?: string
          groundTruth?: string
          sent?: string
          json?: boolean
        },
      ) => {
        process.exitCode = await runSim({
          fleetFile,
          durationS: options.duration,
          url: options.url,
          credentialsFile: options.credentials,
          groundTruthFile: options.groundTruth,
          sentFile: options.sent,
          json: options.json,
        })
      },
    )
}

function parsePositive(value: string): number {
  const n = Number(value)
  if (!Number.isFinite(n) || n <= 0) throw new Error(`expected a positive number, got "${value}"`)
  return n
}
