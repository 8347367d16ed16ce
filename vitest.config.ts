import { defineConfig } from 'vitest/config'

// BDI_TEST_REPORT=DIR adds a JSON report per run there, which .ci/run counts.
const reportDir = process.env.BDI_TEST_REPORT

export default defineConfig({
  test: {
    reporters: reportDir ? ['default', ['json', { outputFile: `${reportDir}/vitest-${process.pid}.json` }]] : ['default'],
    projects: [
      { test: { name: 'unit', include: ['__tests__/unit/**/*.test.ts'] } },
      {
        test: {
          name: 'e2e',
          include: ['__tests__/e2e/**/*.test.ts'],
          testTimeout: 600_000,
          hookTimeout: 600_000,
          fileParallelism: false,
          sequence: { concurrent: false }
        }
      }
    ]
  }
})
