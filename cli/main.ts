#!/usr/bin/env node
// The `pulsewire` command: a composition root that dispatches to one module per subcommand.
import { Command } from 'commander'
import { COMMANDS } from './commands/index.js'
import { exitCodeFor, formatError } from '../core/report-error.js'
import { packageVersion } from './context.js'

const program = new Command('pulsewire')
  .description('Pulsewire: MQTT device telemetry into Kafka channels, alerting and InfluxDB time series.')
  .version(packageVersion(), '-V, --version')
  .showHelpAfterError('(run with --help for usage)')
  .configureHelp({ sortSubcommands: false })

for (const register of COMMANDS) register(program)

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`${formatError(err)}\n`)
  process.exitCode = exitCodeFor(err)
})
