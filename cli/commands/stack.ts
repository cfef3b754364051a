import type { Command } from 'commander'
import { stackDown, stackStatus, stackUp } from '../../deploy/local/stack.js'
import { loadStackConfig, repoRoot, say } from '../context.js'

interface ConfigOption {
  config?: string
}

export function registerStack(program: Command): void {
  const stack = program
    .command('stack')
    .description('The local Kafka (KRaft) and InfluxDB servers, installed on first use, bound to 127.0.0.1.')

  stack
    .command('up')
    .description(
      'Install what is missing, start Kafka and InfluxDB, wait until both answer, create the channels.',
    )
    .option('-c, --config <file>', 'stack settings (YAML); defaults need none')
    .option('--fresh', 'stop the servers and delete their data before starting')
    .action(async (options: ConfigOption & { fresh?: boolean }) => {
      const started = Date.now()
      const config = loadStackConfig(options.config)
      await stackUp({ config, repoRoot: repoRoot(), log: say, fresh: options.fresh ?? false })
      say(
        `stack     up in ${((Date.now() - started) / 1000).toFixed(1)} s; stop it with: pulsewire stack down`,
      )
    })

  stack
    .command('down')
    .description('Stop the servers by PID (SIGTERM, then SIGKILL after 30 s); data is kept.')
    .option('-c, --config <file>', 'stack settings (YAML)')
    .action(async (options: ConfigOption) => {
      await stackDown({ config: loadStackConfig(options.config), repoRoot: repoRoot(), log: say })
    })

  stack
    .command('status')
    .description(
      'What runs where, and whether it answers. Exit code 0 when every server is ready, 3 otherwise.',
    )
    .option('-c, --config <file>', 'stack settings (YAML)')
    .option('--json', 'machine-readable output')
    .action(async (options: ConfigOption & { json?: boolean }) => {
      const services = await stackStatus({
        config: loadStackConfig(options.config),
        repoRoot: repoRoot(),
        log: say,
      })
      if (options.json) {
        say(JSON.stringify(services, null, 2))
      } else {
        for (const s of services) {
          const state = s.ready ? 'ready' : s.pid ? 'running, not answering' : 'stopped'
          say(
            `${s.name.padEnd(16)} ${state.padEnd(24)} ${s.address.padEnd(24)} pid ${s.pid ?? '-'}  log ${s.logFile}`,
          )
        }
      }
      if (!services.every((s) => s.ready)) process.exitCode = 3
    })
}
