import type { Command } from 'commander'
import { stackDown, stackStatus, stackUp } from '../../deploy/local/stack.js'
import { loadStackConfig, repoRoot, say } from '../context.js'
import { stackLag, printLag } from './stack-lag.js'

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
    .option(
      '--with-prometheus',
      "also run Debian's Prometheus scraping every Pulsewire process (remembered by later `stack up`s)",
    )
    .option('--no-prometheus', 'stop the remembered Prometheus and stop remembering it')
    .action(
      async (options: ConfigOption & { fresh?: boolean; withPrometheus?: boolean; prometheus?: boolean }) => {
        const started = Date.now()
        const config = loadStackConfig(options.config)
        await stackUp({
          config,
          repoRoot: repoRoot(),
          log: say,
          fresh: options.fresh ?? false,
          // commander sets `prometheus` true by default because of --no-prometheus: only false counts.
          prometheus: options.prometheus === false ? false : options.withPrometheus ? true : undefined,
        })
        say(
          `stack     up in ${((Date.now() - started) / 1000).toFixed(1)} s; stop it with: pulsewire stack down`,
        )
      },
    )

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
    .option('--json', 'machine-readable output (the list of servers; with --lag, { services, lag })')
    .option('--lag', 'with --json: add the consumer-group lag')
    .option('--group <id...>', 'consumer groups to show lag for, besides the configured lagGroups')
    .option('--topic <name...>', 'topics to measure lag on, besides the channels')
    .action(
      async (
        options: ConfigOption & { json?: boolean; lag?: boolean; group?: string[]; topic?: string[] },
      ) => {
        const config = loadStackConfig(options.config)
        const services = await stackStatus({ config, repoRoot: repoRoot(), log: say })
        // Only with Kafka answering: a stopped stack's status stays instant.
        const kafkaReady = services.some((s) => s.name.startsWith('kafka') && s.ready)
        const wanted = kafkaReady && !(options.json && !options.lag)
        const lag = wanted ? await stackLag(config, options.group, options.topic) : undefined
        if (options.json) {
          say(JSON.stringify(options.lag ? { services, lag: lag ?? null } : services, null, 2))
        } else {
          for (const s of services) {
            const state = s.ready ? 'ready' : s.pid ? 'running, not answering' : 'stopped'
            say(
              `${s.name.padEnd(16)} ${state.padEnd(24)} ${s.address.padEnd(24)} pid ${s.pid ?? '-'}  log ${s.logFile}`,
            )
          }
          if (lag) printLag(lag, say)
        }
        if (!services.every((s) => s.ready)) process.exitCode = 3
      },
    )
}
