// Validates action.yml against the action metadata schema (scripts/action-schema.json), and
// checks that it agrees with the code and the README: every input the inputs module reads is
// declared, every declared input is read, every input and output is documented, the entry
// points exist, the pinned defaults and every input's default agree (scripts/defaults-check.mjs),
// and the README's contents list every section (scripts/readme-check.mjs).
import Ajv from 'ajv'
import * as fs from 'node:fs'
import { parse } from 'yaml'
import { defaultsProblems, inputsSection } from './defaults-check.mjs'
import { tocProblems } from './readme-check.mjs'

const action = parse(fs.readFileSync('action.yml', 'utf8'))
const schema = JSON.parse(fs.readFileSync('scripts/action-schema.json', 'utf8'))
const problems = []
const ajv = new Ajv({ allErrors: true })
if (!ajv.validate(schema, action)) {
  for (const e of ajv.errors) problems.push(`action.yml${e.instancePath || ''}: ${e.message}${e.params?.additionalProperty ? ` (${e.params.additionalProperty})` : ''}`)
}
if (action.runs?.using !== 'node24') problems.push(`runs.using is ${action.runs?.using}; this action runs on node24`)
for (const entry of [action.runs?.main, action.runs?.post]) if (entry && !fs.existsSync(entry)) problems.push(`${entry} does not exist (run npm run bundle)`)

// The inputs module is src/inputs/: one file per slice, each reading its own inputs.
const source = fs.readdirSync('src/inputs').filter((f) => f.endsWith('.ts')).map((f) => fs.readFileSync(`src/inputs/${f}`, 'utf8')).join('\n')
const read = new Set([...source.matchAll(/(?:read\(|[bB]ool\(read, )'([a-z-]+)'/g)].map((m) => m[1]))
const declared = new Set(Object.keys(action.inputs ?? {}))
for (const name of read) if (!declared.has(name)) problems.push(`src/inputs/ reads input "${name}", which action.yml does not declare`)
for (const name of declared) if (!read.has(name)) problems.push(`action.yml declares input "${name}", which src/inputs/ never reads`)

const readme = fs.readFileSync('README.md', 'utf8')
// Each input's row in the Inputs section (the Migration tables name inputs too); outputs anywhere.
for (const kind of ['inputs', 'outputs']) {
  const where = kind === 'inputs' ? inputsSection(readme) : readme
  for (const name of Object.keys(action[kind] ?? {})) {
    if (!new RegExp(`\\|\\s*\`${name}\`\\s*\\|`).test(where)) problems.push(`README.md has no table row for ${kind.slice(0, -1)} \`${name}\`${kind === 'inputs' ? ' in its Inputs section' : ''}`)
  }
}

problems.push(...tocProblems(readme))

const templates = Object.fromEntries(['Dockerfile.static', 'Dockerfile.cc'].map((n) => [n, fs.readFileSync(`dockerfiles/${n}`, 'utf8')]))
problems.push(
  ...defaultsProblems({
    supplyChain: fs.readFileSync('src/inputs/supply-chain.ts', 'utf8'),
    vulnerability: fs.readFileSync('src/inputs/vulnerability.ts', 'utf8'),
    builder: fs.readFileSync('src/inputs/builder.ts', 'utf8'),
    checksums: fs.readFileSync('src/tools/checksums.ts', 'utf8'),
    action,
    readme,
    templates,
    templatesReadme: fs.readFileSync('dockerfiles/README.md', 'utf8')
  })
)

if (problems.length) {
  console.error(`action.yml: ${problems.length} problem(s):\n- ${problems.join('\n- ')}`)
  process.exit(1)
}
console.log(`action.yml is valid: ${declared.size} inputs, ${Object.keys(action.outputs ?? {}).length} outputs, runs.using ${action.runs.using}`)
