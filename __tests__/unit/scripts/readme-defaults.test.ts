// `npm run validate-action` fails when action.yml's default for an input and the README's input
// table disagree (issue 34): every input, both directions, and the README's shorthand for pins.
import * as fs from 'node:fs'
import * as path from 'node:path'
import { execFileSync } from 'node:child_process'
import { parse } from 'yaml'
import { describe, expect, test } from 'vitest'
import { inputsSection, readmeDefaultProblems } from '../../../scripts/defaults-check.mjs'

const root = path.join(import.meta.dirname, '../../..')
const read = (f: string) => fs.readFileSync(path.join(root, f), 'utf8')
type Action = { inputs: Record<string, { default?: string; description?: string }> }
const action = () => parse(read('action.yml')) as Action
const readme = read('README.md')

/** action.yml with one input's default changed (undefined: removed). */
function withDefault(name: string, value: string | undefined): Action {
  const a = action()
  const spec = a.inputs[name]
  if (!spec) throw new Error(`no input ${name}`)
  if (value === undefined) delete spec.default
  else spec.default = value
  return a
}
/** The README with one input row's default cell replaced. */
function withCell(name: string, cell: string): string {
  const re = new RegExp(`^(\\|\\s*\`${name}\`\\s*\\|)[^|\\n]*\\|`, 'm')
  const section = inputsSection(readme)
  expect(re.test(section), name).toBe(true)
  return readme.replace(section, section.replace(re, `$1 ${cell} |`))
}

describe('readmeDefaultProblems', () => {
  test('the repository agrees with itself, and every input has a row it checked', () => {
    expect(readmeDefaultProblems(action(), readme)).toEqual([])
    for (const name of Object.keys(action().inputs)) expect(inputsSection(readme), name).toMatch(new RegExp(`^\\|\\s*\`${name}\`\\s*\\|`, 'm'))
  })

  test.each([
    ['smoke-timeout', '45s', 'README.md states the default `30s` for input `smoke-timeout`, action.yml declares "45s"'],
    ['sign', 'true', 'README.md states the default `auto` for input `sign`, action.yml declares "true"'],
    ['trivy-db-repositories', 'ghcr.io/aquasecurity/trivy-db\nmirror.gcr.io/aquasec/trivy-db\n', 'README.md states the default `mirror.gcr.io/aquasec/trivy-db`, `ghcr.io/aquasecurity/trivy-db` for input `trivy-db-repositories`'],
    ['qemu-image', 'docker.io/tonistiigi/binfmt:qemu-v10.2.3@sha256:400a' + '0'.repeat(56) + '66f1', 'README.md states the default `docker.io/tonistiigi/binfmt:qemu-v10.2.3@sha256:400a…66f0` for input `qemu-image`'],
    ['target', 'runtime', 'README.md states no default for input `target` (""), action.yml declares "runtime"'],
    ['image', 'ghcr.io/acme/app', 'README.md states no default for input `image` ("required (or `images`)")']
  ])('action.yml %s: %j is caught', (name, value, message) => {
    const problems = readmeDefaultProblems(withDefault(name, value), readme)
    expect(problems).toHaveLength(1)
    expect(problems[0]).toContain(message)
  })

  test.each([
    ['smoke-http-path', '`/healthz`', 'README.md states the default `/healthz` for input `smoke-http-path`, action.yml declares "/"'],
    ['latest', '`true`', 'README.md states the default `true` for input `latest`, action.yml declares "auto"'],
    ['verify', '', 'README.md states no default for input `verify` (""), action.yml declares "true"'],
    ['verify', 'true, unless …', 'README.md states no default for input `verify`'],
    ['tag-prefix', '`v`', 'README.md states the default `v` for input `tag-prefix`, which action.yml does not declare'],
    ['tag-prefix', 'v', 'README.md\'s default cell for input `tag-prefix` ("v") does not start with a value in backticks']
  ])('README %s: %j is caught', (name, cell, message) => {
    const problems = readmeDefaultProblems(action(), withCell(name, cell))
    expect(problems).toHaveLength(1)
    expect(problems[0]).toContain(message)
  })

  test('only the Inputs section counts: a Migration table naming an input is not its row', () => {
    expect(inputsSection(readme)).toMatch(/^## Inputs\n/)
    expect(inputsSection(readme)).not.toContain('## Migration')
    expect(readme).toMatch(/^\| `syft-version` \| `syft-version` \|/m)
  })

  test('removing a default from action.yml that the README states is caught', () => {
    expect(readmeDefaultProblems(withDefault('smoke-timeout', undefined), readme)).toEqual([
      'README.md states the default `30s` for input `smoke-timeout`, which action.yml does not declare: add `default: 30s` to action.yml (and make the code read it as the input left out), or empty the README\'s cell'
    ])
  })

  test('npm run validate-action fails on such a disagreement (the script CI runs, on a copy of the repository)', () => {
    const dir = fs.mkdtempSync(path.join(root, 'node_modules', '.validate-'))
    try {
      for (const f of ['action.yml', 'README.md', 'scripts/validate-action.mjs', 'scripts/defaults-check.mjs', 'scripts/readme-check.mjs', 'scripts/action-schema.json', 'src/tools/checksums.ts', 'dockerfiles/Dockerfile.static', 'dockerfiles/Dockerfile.cc', 'dockerfiles/README.md', 'dist/index.js']) {
        fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true })
        fs.copyFileSync(path.join(root, f), path.join(dir, f))
      }
      fs.cpSync(path.join(root, 'src/inputs'), path.join(dir, 'src/inputs'), { recursive: true })
      const run = () => execFileSync(process.execPath, ['scripts/validate-action.mjs'], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
      expect(run()).toMatch(/^action\.yml is valid/)
      fs.writeFileSync(path.join(dir, 'README.md'), withCell('smoke-timeout', '`60s`'))
      expect(run).toThrow(/README\.md states the default `60s` for input `smoke-timeout`, action\.yml declares "30s"/)
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })
})
