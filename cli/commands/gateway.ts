import type { Command } from 'commander'
import { runGateway } from '../../gateway/main.js'

export function registerGateway(program: Command): void {
  program
    .command('gateway')
    .description(
      'Run the MQTT gateway: authenticate devices, validate protobuf telemetry, PUBACK only once it is in Kafka.',
    )
    .option('-c, --config <file>', 'gateway settings (YAML); defaults point at the local stack')
    .action(async (options: { config?: string }) => {
      process.exitCode = await runGateway({ configFile: options.config })
    })
}
