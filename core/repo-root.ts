import { existsSync, readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * The package root, found from a module's own location: the same answer from the TypeScript
 * sources (vitest, tsx) and from the compiled `dist/` tree.
 */
export function findRepoRoot(fromUrl: string): string {
  let dir = dirname(fileURLToPath(fromUrl))
  for (;;) {
    const manifest = resolve(dir, 'package.json')
    if (
      existsSync(manifest) &&
      (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'pulsewire'
    ) {
      return dir
    }
    const parent = dirname(dir)
    if (parent === dir) throw new Error(`no pulsewire package.json above ${fromUrl}`)
    dir = parent
  }
}
