import type { Linter } from 'eslint'

/** The import-boundary rules of eslint.boundaries.js, typed for the test that probes them. */
export declare const boundaries: Linter.Config[]
