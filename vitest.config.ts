import { defineConfig } from 'vitest/config'

// BDI_TEST_REPORT=DIR adds a JSON report per run there, which .ci/run counts.
const reportDir = process.env.BDI_TEST_REPORT

const e2e = { testTimeout: 600_000, hookTimeout: 600_000, fileParallelism: false, sequence: { concurrent: false } }
// Files that need the registry to themselves (they assert that no request reached it while they
// ran) or change the host (binfmt handlers). scripts/e2e/run.sh runs them after the others.
const quiet = ['arch', 'build', 'refresh', 'templates', 'qemu'].map((f) => `__tests__/e2e/${f}.test.ts`)
// The fault suite mostly waits (stalls, backoff, an outage): run.sh runs it in a second vitest
// process beside the main e2e files. It reaches the registry through its own proxy port.
const faults = ['__tests__/e2e/faults.test.ts']

export default defineConfig({
  test: {
    reporters: reportDir ? ['default', ['json', { outputFile: `${reportDir}/vitest-${process.pid}.json` }]] : ['default'],
    projects: [
      { test: { name: 'unit', include: ['__tests__/unit/**/*.test.ts'] } },
      { test: { name: 'e2e', include: ['__tests__/e2e/**/*.test.ts'], exclude: [...quiet, ...faults], ...e2e } },
      { test: { name: 'e2e-faults', include: faults, ...e2e } },
      { test: { name: 'e2e-quiet', include: quiet, ...e2e } }
    ]
  }
})
