import type { Command } from 'commander'
import { registerAlarm } from './alarm.js'
import { registerAlerts } from './alerts.js'
import { registerCatalog } from './catalog.js'
import { registerDevices } from './devices.js'
import { registerDlq } from './dlq.js'
import { registerGateway } from './gateway.js'
import { registerLoadtest } from './loadtest.js'
import { registerProcessors } from './processors.js'
import { registerQuery } from './query.js'
import { registerReplay } from './replay.js'
import { registerScore } from './score.js'
import { registerSim } from './sim.js'
import { registerStack } from './stack.js'
import { registerUp } from './up.js'
import { registerWeb } from './web.js'

/**
 * Every subcommand, in the order `--help` lists them. Adding one is a module with a
 * `registerX(program)` function and a line here: no registration by import side effect.
 */
export const COMMANDS: ReadonlyArray<(program: Command) => void> = [
  registerUp,
  registerGateway,
  registerProcessors,
  registerAlerts,
  registerAlarm,
  registerWeb,
  registerDevices,
  registerSim,
  registerScore,
  registerLoadtest,
  registerStack,
  registerQuery,
  registerReplay,
  registerDlq,
  registerCatalog,
]
