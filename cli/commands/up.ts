import type { Command } from 'commander'
import { pino } from 'pino'
import { runService } from '../../core/lifecycle.js'
import { stackDown, stackUp } from '../../deploy/local/stack.js'
import { loadStackConfig, repoRoot, say } from '../context.js'

/**
 * The README's main-job command. Today it runs the local stack in the foreground; the gateway,
 * processors, simulator and console alert sink join it as their issues land.
 */
export function registerUp(program: Command): void {
  program
    .command('up')
    .description('Start everything a newcomer needs in the foreground; Ctrl-C stops all of it.')
    .option('-c, --config <file>', 'stack settings (YAML)')
    .option('--fresh', 'start from empty Kafka and InfluxDB data')
    .action(async (options: { config?: string; fresh?: boolean }) => {
      const config = loadStackConfig(options.config)
      const root = repoRoot()
      const stack = {
        name: 'local-stack',
        start: async () => {
          await stackUp({ config, repoRoot: root, log: say, fresh: options.fresh ?? false })
          say(banner(config.kafkaBroker.port, config.influxdbServer.port, config.influxdbServer.database))
        },
        stop: () => stackDown({ config, repoRoot: root, log: say }),
      }
      const runner = runService({
        logger: pino({ level: 'warn' }),
        components: [stack],
        shutdownTimeoutMs: 60_000,
      })
      process.exitCode = await runner.done
    })
}

function banner(kafkaPort: number, influxPort: number, database: string): string {
  return [
    '',
    'Pulsewire is up.',
    `  Kafka      127.0.0.1:${kafkaPort}          kcat -b 127.0.0.1:${kafkaPort} -L`,
    `  InfluxDB   http://127.0.0.1:${influxPort}   database "${database}" (bucket ${database}/autogen)`,
    '  Ctrl-C stops everything.',
    '',
  ].join('\n')
}
