import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { renderCatalog, type CatalogInput } from './asyncapi.js'
import { renderConfigReference } from './config-reference.js'
import { renderErrorsReference } from './errors-reference.js'
import { renderMetricsReference } from './metrics-reference.js'

/** One generated file: its path from the repository root and the text the code yields now. */
export interface GeneratedDoc {
  path: string
  text: string
}

/** Everything `npm run docs:gen` writes and `npm run docs:check` compares, in a fixed order. */
export async function generatedDocs(input: CatalogInput): Promise<GeneratedDoc[]> {
  return [
    { path: 'docs/catalog.asyncapi.yaml', text: renderCatalog(input) },
    { path: 'docs/config.md', text: renderConfigReference() },
    { path: 'docs/errors.md', text: renderErrorsReference() },
    { path: 'docs/metrics.md', text: await renderMetricsReference() },
  ]
}

const readOrEmpty = (file: string): string | undefined => {
  try {
    return readFileSync(file, 'utf8')
  } catch {
    return undefined
  }
}

/** The paths whose checked-in text differs from the generated text (a missing file differs). */
export function checkGenerated(repoRoot: string, docs: readonly GeneratedDoc[]): string[] {
  return docs.filter((doc) => readOrEmpty(resolve(repoRoot, doc.path)) !== doc.text).map((doc) => doc.path)
}

export function writeGenerated(repoRoot: string, docs: readonly GeneratedDoc[]): string[] {
  for (const doc of docs) {
    const file = resolve(repoRoot, doc.path)
    mkdirSync(dirname(file), { recursive: true })
    writeFileSync(file, doc.text)
  }
  return docs.map((doc) => doc.path)
}
