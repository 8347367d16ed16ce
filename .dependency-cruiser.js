// The import rules `npm run lint` keeps (dependency-cruiser): no cycles, type-only imports
// included, and stage modules read their own input slice, never the inputs barrel.
/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    {
      name: 'no-cycles',
      comment: 'Imports flow one way: a cycle, even of types only, ties two modules into one.',
      severity: 'error',
      from: {},
      to: { circular: true }
    },
    {
      name: 'no-inputs-barrel-in-stages',
      comment: 'A stage module imports its input slice (src/inputs/<slice>.ts); only the entry points compose all inputs.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(index|main|run)\\.ts$' },
      to: { path: '^src/inputs/index\\.ts$' }
    },
    {
      name: 'not-to-unresolvable',
      comment: 'An import that resolves to nothing is a typo or a file that moved.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true }
    }
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] }
  }
}
