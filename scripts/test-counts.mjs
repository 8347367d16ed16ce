// Sums the vitest JSON reports in a directory; prints a line per project and the plain closing
// line `N passed, N failed, N skipped`. Exits 1 on any failure, or when a project expected to
// run ran no test (the e2e suite must run on CI, not skip).
import * as fs from 'node:fs'
import * as path from 'node:path'

const [dir, ...required] = process.argv.slice(2)
const totals = {}
for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.json'))) {
  const report = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'))
  for (const suite of report.testResults) {
    // The e2e support folder's own tests run with the unit tests (vitest.config.ts).
    const project = suite.name.includes('/__tests__/e2e/') && !suite.name.includes('/__tests__/e2e/support/') ? 'e2e' : 'unit'
    const t = (totals[project] ??= { passed: 0, failed: 0, skipped: 0 })
    for (const a of suite.assertionResults) {
      if (a.status === 'passed') t.passed++
      else if (a.status === 'failed') t.failed++
      else t.skipped++
    }
    if (suite.status === 'failed' && suite.assertionResults.every((a) => a.status !== 'failed')) t.failed++
  }
}
let bad = false
for (const [project, t] of Object.entries(totals)) console.log(`${project} tests: ${t.passed} passed, ${t.failed} failed, ${t.skipped} skipped`)
for (const project of required) {
  const t = totals[project]
  if (!t || t.passed === 0) {
    console.log(`${project} tests: none ran`)
    bad = true
  } else if (t.skipped > 0) {
    console.log(`${project} tests: ${t.skipped} skipped, and they must all run here`)
    bad = true
  }
}
const sum = Object.values(totals).reduce((a, t) => ({ passed: a.passed + t.passed, failed: a.failed + t.failed, skipped: a.skipped + t.skipped }), { passed: 0, failed: 0, skipped: 0 })
console.log(`${sum.passed} passed, ${sum.failed} failed, ${sum.skipped} skipped`)
process.exit(bad || sum.failed > 0 ? 1 : 0)
