import type { Command } from 'commander'
import { checkGenerated, generatedDocs, writeGenerated } from '../catalog/docs.js'
import { renderCatalog } from '../catalog/asyncapi.js'
import { packageVersion, repoRoot, say } from '../context.js'
import { writeFileSync } from 'node:fs'

interface CatalogOptions {
  out?: string
  writeDocs?: boolean
  check?: boolean
}

/**
 * `pulsewire catalog`: the AsyncAPI service catalog, generated from the code's own definitions.
 * `--write-docs` and `--check` cover it and the generated references in docs/ together.
 */
export function registerCatalog(program: Command): void {
  program
    .command('catalog')
    .description(
      'Print the AsyncAPI 3 catalog of channels, producers and consumer groups (generated from the code).',
    )
    .option('-o, --out <file>', 'write the catalog to this file instead of stdout')
    .option('--write-docs', 'write docs/catalog.asyncapi.yaml and the config, metrics and error references')
    .option('--check', 'exit 1 when a generated file in docs/ differs from what the code generates')
    .action(async (options: CatalogOptions) => {
      const root = repoRoot()
      const docs = await generatedDocs({ repoRoot: root, version: packageVersion() })
      if (options.check) {
        const stale = checkGenerated(root, docs)
        if (stale.length > 0) {
          process.stderr.write(
            `${stale.map((f) => `out of date: ${f}`).join('\n')}\nregenerate with: npm run docs:gen (and commit the result)\n`,
          )
          process.exitCode = 1
        } else {
          say(`${docs.length} generated files in docs/ match the code`)
        }
        return
      }
      if (options.writeDocs) {
        for (const file of writeGenerated(root, docs)) say(`wrote ${file}`)
        return
      }
      const text = renderCatalog({ repoRoot: root, version: packageVersion() })
      if (options.out) writeFileSync(options.out, text)
      else process.stdout.write(text)
    })
}
