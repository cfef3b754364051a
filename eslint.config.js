// Flat config: typescript-eslint's type-aware rules catch the errors that matter in a pipeline
// (floating promises lose errors silently; `any` hides contract breaks).
import js from '@eslint/js'
import globals from 'globals'
import tseslint from 'typescript-eslint'
import { boundaries } from './eslint.boundaries.js'

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'coverage/', '.pulsewire/', '.cache/', 'proto/gen/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: globals.node,
      parserOptions: {
        projectService: { allowDefaultProject: ['*.js'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-empty': ['error', { allowEmptyCatch: false }],
    },
  },
  ...boundaries,
  { files: ['**/*.js'], ...tseslint.configs.disableTypeChecked },
  // The web console's front end is buildless browser code, served as is.
  { files: ['processors/web/public/**/*.js'], languageOptions: { globals: globals.browser } },
)
