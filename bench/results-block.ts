// The generated sections of bench/RESULTS.md: each bench writes its block between markers.
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { format, resolveConfig } from 'prettier'

/** Replaces the block between `<!-- name:begin -->` and `<!-- name:end -->` of bench/RESULTS.md (or appends it). */
export async function writeResultsBlock(root: string, name: string, section: string): Promise<void> {
  const file = join(root, 'bench/RESULTS.md')
  const begin = `<!-- ${name}:begin -->`
  const end = `<!-- ${name}:end -->`
  const text = readFileSync(file, 'utf8')
  const block = `${begin}\n${section}\n${end}`
  const next =
    text.includes(begin) && text.includes(end)
      ? text.slice(0, text.indexOf(begin)) + block + text.slice(text.indexOf(end) + end.length)
      : `${text.trimEnd()}\n\n${block}\n`
  // Formatted as the repository's check expects (the table's columns aligned by prettier).
  const style = (await resolveConfig(file)) ?? {}
  writeFileSync(file, await format(next, { ...style, filepath: file }))
}
