// The layering the project keeps (docs/adr/0008-layout.md), checked by `npm run lint`:
// core imports no process; the simulator imports only core and proto; nothing but bench/ and
// cli/ imports bench/ or cli/. Paths are relative imports that climb out of a folder into a
// sibling at the top of the tree.
const up = String.raw`^(\.\./)+`

/** @param {string[]} folders @param {string} why */
const forbid = (folders, why) => ({
  'no-restricted-imports': ['error', { patterns: [{ regex: `${up}(${folders.join('|')})/`, message: why }] }],
})

export const boundaries = [
  {
    files: ['core/**/*.ts'],
    rules: forbid(
      ['gateway', 'processors', 'devices-sim', 'deploy', 'bench', 'cli'],
      'core/ is shared by every process and imports none of them: move the shared part into core/.',
    ),
  },
  {
    files: ['devices-sim/**/*.ts'],
    rules: forbid(
      ['gateway', 'processors', 'deploy', 'bench', 'cli'],
      'the simulator imports only core/ and proto/: it must not depend on what it simulates against.',
    ),
  },
  {
    files: ['gateway/**/*.ts', 'processors/**/*.ts', 'deploy/**/*.ts', 'proto/**/*.ts'],
    rules: forbid(
      ['bench', 'cli'],
      'only bench/ and cli/ import bench/ and cli/: move what both need into core/ or the process folder.',
    ),
  },
]
