import { defineConfig } from 'vitest/config'

// BDI_TEST_REPORT=DIR adds a JSON report per run there, which .ci/run counts.
const reportDir = process.env.BDI_TEST_REPORT

const e2e = { testTimeout: 600_000, hookTimeout: 600_000, fileParallelism: false, sequence: { concurrent: false } }
// Files that need the registry to themselves (they assert that no request reached it while they
// ran) or change the host (binfmt handlers). scripts/e2e/run.sh runs them after the others.
const quiet = ['arch', 'build', 'refresh', 'templates', 'qemu'].map((f) => `__tests__/e2e/${f}.test.ts`)
// A second lane: run.sh runs these in a second vitest process beside the main e2e files. The fault
// suite mostly waits (stalls, backoff, an outage; it reaches the registry through its own proxy
// port); keyless, vulnerability, registries and attestation-store spend much of their time in cosign, the Sigstore
// stand-in, trivy and copies rather than in Go builds, so the two lanes share the 2 cores well
// (about 14 min each from a fresh setup). None of them asserts on what another file's runs leave
// in a shared log.
const beside = ['faults', 'keyless', 'vulnerability', 'registries', 'reachability', 'attestation-store'].map((f) => `__tests__/e2e/${f}.test.ts`)

// The e2e support code (harness, environment, the Sigstore stand-in's contract tests) needs no
// Docker: its tests run with the unit tests.
const support = '__tests__/e2e/support/**'

export default defineConfig({
  test: {
    reporters: reportDir ? ['default', ['json', { outputFile: `${reportDir}/vitest-${process.pid}.json` }]] : ['default'],
    projects: [
      { test: { name: 'unit', include: ['__tests__/unit/**/*.test.ts', `${support}/*.test.ts`] } },
      { test: { name: 'e2e', include: ['__tests__/e2e/**/*.test.ts'], exclude: [...quiet, ...beside, support], ...e2e } },
      { test: { name: 'e2e-beside', include: beside, ...e2e } },
      { test: { name: 'e2e-quiet', include: quiet, ...e2e } }
    ]
  }
})
