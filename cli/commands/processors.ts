import { Option, type Command } from 'commander'
import { runProcessors, type ProcessorName } from '../../processors/main.js'

export function registerProcessors(program: Command): void {
  program
    .command('processors')
    .description('Run the storage (Kafka → InfluxDB) and alerting (rules → alerts channel) consumer groups.')
    .addOption(new Option('--only <processor>', 'run one of them').choices(['storage', 'alerting']))
    .option('--storage-config <file>', 'storage settings (YAML); defaults point at the local stack')
    .option('--alerting-config <file>', 'alerting settings (YAML), including the rules file')
    .action(async (options: { only?: ProcessorName; storageConfig?: string; alertingConfig?: string }) => {
      process.exitCode = await runProcessors({
        only: options.only,
        storageConfigFile: options.storageConfig,
        alertingConfigFile: options.alertingConfig,
      })
    })
}
