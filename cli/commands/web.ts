import { Option, type Command } from 'commander'
import { loadWebConfig } from '../../processors/web/config.js'
import { runWeb } from '../../processors/web/main.js'
import { ROLES, upsertUser, type Role } from '../../processors/web/users.js'
import { say } from '../context.js'

export const PASSWORD_ENV = 'PULSEWIRE_WEB_PASSWORD'

const EXAMPLES = `
Examples:
  # the console on http://127.0.0.1:8080/ (pulsewire up starts it too)
  pulsewire web

  # a clinician (may acknowledge, silence, reset); the password from stdin, never the command line
  printf '%s' "$PASSWORD" | pulsewire web user add nurse-17 --role clinician
  PULSEWIRE_WEB_PASSWORD=... pulsewire web user add ward-display --role viewer
`

async function readPassword(): Promise<string> {
  const fromEnv = process.env[PASSWORD_ENV]
  if (fromEnv) return fromEnv
  if (process.stdin.isTTY) throw new Error(`pipe the password on stdin or set ${PASSWORD_ENV}`)
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '')
}

export function registerWeb(program: Command): void {
  const web = program
    .command('web')
    .description('Run the central-station web console (live ward, alarm list, device charts, pipeline).')
    .option('--config <file>', 'console settings (YAML); defaults point at the local stack')
    .addHelpText('after', EXAMPLES)
    .action(async (options: { config?: string }) => {
      process.exitCode = await runWeb({ configFile: options.config })
    })
  web
    .command('user')
    .description('Manage console users (stored hashed with scrypt in users.file).')
    .command('add')
    .description(`Add a user or set a new password (read from stdin or ${PASSWORD_ENV}).`)
    .argument('<name>', 'user name (a-z 0-9 . _ -; a staff id, never a patient name)')
    .addOption(new Option('--role <role>', 'what the user may do').choices(ROLES).makeOptionMandatory())
    .option('--config <file>', 'console settings (YAML), for users.file')
    .action(async (name: string, options: { role: Role; config?: string }) => {
      const config = loadWebConfig(options.config, process.env)
      upsertUser(config.users.file, name, options.role, await readPassword())
      say(`user ${name} (${options.role}) saved in ${config.users.file}`)
    })
}
