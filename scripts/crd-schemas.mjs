// Writes the openAPIV3Schema of the two admission CRDs the deploy policies target, as the unit
// tests' fixtures (__tests__/fixtures/crd/), from the projects' Go modules at pinned versions:
//   github.com/sigstore/policy-controller v0.13.1  config/300-clusterimagepolicy.yaml  (v1beta1)
//   github.com/kyverno/kyverno            v1.19.1  config/crds/kyverno/kyverno.io_clusterpolicies.yaml  (v1)
// Usage: node scripts/crd-schemas.mjs  (downloads both with `go mod download`, which checks them
// against the Go checksum database, into a temporary module cache)
import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { parseAllDocuments } from 'yaml'

const SOURCES = [
  { module: 'github.com/sigstore/policy-controller', version: 'v0.13.1', file: 'config/300-clusterimagepolicy.yaml', kind: 'ClusterImagePolicy', served: 'v1beta1', out: 'policy-controller-v0.13.1-clusterimagepolicy-v1beta1.json' },
  { module: 'github.com/kyverno/kyverno', version: 'v1.19.1', file: 'config/crds/kyverno/kyverno.io_clusterpolicies.yaml', kind: 'ClusterPolicy', served: 'v1', out: 'kyverno-v1.19.1-clusterpolicy-v1.json' }
]
const here = path.dirname(new URL(import.meta.url).pathname)
const outDir = path.join(here, '..', '__tests__', 'fixtures', 'crd')
const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'crd-modcache-'))
fs.mkdirSync(outDir, { recursive: true })
try {
  for (const s of SOURCES) {
    const info = JSON.parse(execFileSync('go', ['mod', 'download', '-json', `${s.module}@${s.version}`], { env: { ...process.env, GOMODCACHE: cache, GOFLAGS: '-modcacherw' }, encoding: 'utf8' }))
    const docs = parseAllDocuments(fs.readFileSync(path.join(info.Dir, s.file), 'utf8')).map((d) => d.toJSON())
    const crd = docs.find((d) => d?.kind === 'CustomResourceDefinition' && d.spec?.names?.kind === s.kind)
    const version = crd?.spec?.versions?.find((v) => v.name === s.served)
    if (!version?.schema?.openAPIV3Schema) throw new Error(`${s.module}@${s.version} ${s.file}: no ${s.kind} ${s.served} schema`)
    const fixture = { source: `${s.module}@${s.version} ${s.file}`, sum: info.Sum, group: crd.spec.group, version: s.served, kind: s.kind, openAPIV3Schema: version.schema.openAPIV3Schema }
    fs.writeFileSync(path.join(outDir, s.out), JSON.stringify(fixture) + '\n')
    console.log(`${s.out}: ${s.kind} ${crd.spec.group}/${s.served} from ${s.module}@${s.version} (${info.Sum})`)
  }
} finally {
  fs.rmSync(cache, { recursive: true, force: true })
}
