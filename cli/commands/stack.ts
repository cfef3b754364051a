import { InvalidArgumentError, type Command } from 'commander'
import { stackDown, stackStatus, stackUp, type ServiceStatus } from '../../deploy/local/stack.js'
import { BROKER_COUNTS, type BrokerCount } from '../../deploy/local/stack-shape.js'
import { loadStackConfig, repoRoot, say } from '../context.js'
import { stackLag, printLag } from './stack-lag.js'

interface ConfigOption {
  config?: string
}

function brokerCount(value: string): BrokerCount {
  const n = Number(value)
  if (!BROKER_COUNTS.includes(n as BrokerCount)) {
    throw new InvalidArgumentError(`expected ${BROKER_COUNTS.join(' or ')}`)
  }
  return n as BrokerCount
}

/** One line per server; for Kafka nodes their leaders, under-replicated partitions and the controller. */
function statusLine(s: ServiceStatus): string {
  const state = s.ready ? 'ready' : s.pid ? 'running, not answering' : 'stopped'
  const node = s.kafka
    ? `  leads ${s.kafka.leaders} (${s.kafka.underReplicated} under-replicated)${s.kafka.controller ? ', controller' : ''}`
    : ''
  return `${s.name.padEnd(16)} ${state.padEnd(24)} ${s.address.padEnd(24)} pid ${s.pid ?? '-'}${node}  log ${s.logFile}`
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
      '--brokers <n>',
      'Kafka nodes: 1, or 3 (replication factor 3, min.insync.replicas 2); recorded, so later commands act on the same shape (default: the recorded one, else 1)',
      brokerCount,
    )
    .option(
      '--with-prometheus',
      "also run Debian's Prometheus scraping every Pulsewire process (remembered by later `stack up`s)",
    )
    .option('--no-prometheus', 'stop the remembered Prometheus and stop remembering it')
    .action(
      async (
        options: ConfigOption & {
          fresh?: boolean
          brokers?: BrokerCount
          withPrometheus?: boolean
          prometheus?: boolean
        },
      ) => {
        const started = Date.now()
        const config = loadStackConfig(options.config)
        await stackUp({
          config,
          repoRoot: repoRoot(),
          log: say,
          fresh: options.fresh ?? false,
          ...(options.brokers ? { brokers: options.brokers } : {}),
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
    .description(
      'Stop the servers (every Kafka node) by PID (SIGTERM, then SIGKILL after 30 s); data is kept.',
    )
    .option('-c, --config <file>', 'stack settings (YAML)')
    .action(async (options: ConfigOption) => {
      await stackDown({ config: loadStackConfig(options.config), repoRoot: repoRoot(), log: say })
    })

  stack
    .command('status')
    .description(
      'What runs where, and whether it answers; per Kafka node the partitions it leads and how many are under-replicated. Exit code 0 when every server is ready, 3 otherwise.',
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
          for (const s of services) say(statusLine(s))
          const nodes = services.filter((s) => s.kafka)
          if (nodes.length > 1) {
            const urp = nodes.reduce((sum, s) => sum + (s.kafka?.underReplicated ?? 0), 0)
            say(
              `kafka            ${nodes.filter((s) => s.ready).length} of ${nodes.length} nodes up, ${urp} under-replicated partitions`,
            )
          }
          if (lag) printLag(lag, say)
        }
        if (!services.every((s) => s.ready)) process.exitCode = 3
      },
    )
}
