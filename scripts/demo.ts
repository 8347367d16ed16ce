// The demo's Node part (run on Node 24, which strips the types): an example Go operator,
// released by the bundled action into the local registry, then verified with real cosign.
import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { runAction } from '../__tests__/e2e/support/harness.ts'

const env = process.env
const registry = env.BDI_REGISTRY ?? ''
const password = fs.readFileSync(env.BDI_REGISTRY_PASSWORD_FILE ?? '', 'utf8').trim()
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bdi-demo-'))
const ws = path.join(work, 'workspace')
fs.mkdirSync(path.join(ws, 'cmd/vmafx-operator'), { recursive: true })
fs.writeFileSync(path.join(ws, 'go.mod'), 'module example.com/vmafx\n\ngo 1.24\n')
fs.writeFileSync(
  path.join(ws, 'cmd/vmafx-operator/main.go'),
  'package main\n\nimport (\n\t"fmt"\n\t"os"\n\t"runtime"\n)\n\nfunc main() {\n\tfmt.Printf("vmafx-operator %s/%s uid=%d\\n", runtime.GOOS, runtime.GOARCH, os.Getuid())\n}\n'
)
// Official bases by default; the local registry's Debian-made equivalents here (nothing can be pulled).
fs.writeFileSync(
  path.join(ws, 'Dockerfile'),
  `ARG BUILDER_IMAGE=golang:1.24-trixie
ARG RUNTIME_IMAGE=gcr.io/distroless/static-debian13:nonroot
FROM --platform=$BUILDPLATFORM \${BUILDER_IMAGE} AS build
ARG TARGETOS TARGETARCH
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/root/.cache/go-build CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH go build -trimpath -o /out/vmafx-operator ./cmd/vmafx-operator
FROM \${RUNTIME_IMAGE} AS runtime
COPY --from=build /out/vmafx-operator /vmafx-operator
USER 65532:65532
ENTRYPOINT ["/vmafx-operator"]
`
)

const keyPassword = 'demo-password'
// stderr is piped, not dropped: a failing command throws with it in the message.
const cosign = path.join(env.BDI_PREFIX ?? '/opt/bdi-e2e', 'bin', 'cosign')
execFileSync(cosign, ['generate-key-pair'], { cwd: work, env: { ...env, COSIGN_PASSWORD: keyPassword }, stdio: ['ignore', 'ignore', 'pipe'] })
const image = `${registry}/vmafx/vmafx-operator`
console.log(`Releasing ${image} (linux/amd64, linux/arm64) with the bundled action...`)
const r = await runAction(
  {
    image,
    version: 'v1.4.2',
    'build-args': `BUILDER_IMAGE=${registry}/e2e/golang:1.24\nRUNTIME_IMAGE=${registry}/e2e/static:nonroot`,
    'registry-username': env.BDI_REGISTRY_USER ?? '',
    'registry-password': password,
    'cosign-key': fs.readFileSync(path.join(work, 'cosign.key'), 'utf8'),
    'cosign-password': keyPassword,
    'transparency-log': 'false',
    'sbom-artifact': 'false',
    // The local registry's Debian-made distroless equivalents.
    'allowed-bases': `${registry}/e2e/*`,
    ...(env.BDI_MIRROR_URL ? { 'tools-url': `${env.BDI_MIRROR_URL}/good`, 'tools-checksums': Buffer.from(env.BDI_TOOLS_CHECKSUMS ?? '', 'base64').toString('utf8') } : {})
  },
  { workspace: ws, toolCache: path.join(env.BDI_STATE ?? work, 'demo-toolcache') }
)
fs.writeFileSync(path.join(work, 'action.log'), r.log)
if (r.exitCode !== 0 || r.post?.exitCode !== 0) {
  console.error(r.log.split('\n').slice(-40).join('\n'))
  console.error(`The action failed; the whole log is in ${path.join(work, 'action.log')}`)
  process.exit(1)
}

// A docker config for reading the registry from this shell (the action removed its own in post).
const dockerConfig = path.join(work, 'docker-config')
fs.mkdirSync(dockerConfig)
execFileSync('docker', ['login', '-u', env.BDI_REGISTRY_USER ?? '', '--password-stdin', registry], { input: password, env: { ...env, DOCKER_CONFIG: dockerConfig }, stdio: ['pipe', 'ignore', 'pipe'] })
const verify = ['verify', '--key', path.join(work, 'cosign.pub'), '--insecure-ignore-tlog=true', `${image}@${r.outputs.digest}`]
execFileSync(cosign, verify, { env: { ...env, DOCKER_CONFIG: dockerConfig }, stdio: ['ignore', 'ignore', 'pipe'] })
const verifyAttestation = ['verify-attestation', '--type', 'cyclonedx', '--key', path.join(work, 'cosign.pub'), '--insecure-ignore-tlog=true', `${image}@${r.outputs.digest}`]
execFileSync(cosign, verifyAttestation, { env: { ...env, DOCKER_CONFIG: dockerConfig }, stdio: ['ignore', 'ignore', 'pipe'] })
// buildx's SLSA v1 provenance (the default provenance: mode=max,version=v1), attested to each platform digest.
const arm64 = (JSON.parse(r.outputs['platform-digests'] ?? '{}') as Record<string, string>)['linux/arm64'] ?? ''
const verifyProvenance = ['verify-attestation', '--type', 'slsaprovenance1', '--key', path.join(work, 'cosign.pub'), '--insecure-ignore-tlog=true', `${image}@${arm64}`]
execFileSync(cosign, verifyProvenance, { env: { ...env, DOCKER_CONFIG: dockerConfig }, stdio: ['ignore', 'ignore', 'pipe'] })

console.log(`
digest:            ${r.outputs.digest}
tags:              ${(r.outputs.tags ?? '').split('\n').join(' ')}
platform digests:  ${r.outputs['platform-digests']}
action log:        ${path.join(work, 'action.log')}

These pass (they just did):
  DOCKER_CONFIG=${dockerConfig} ${cosign} ${verify.join(' ')}
  DOCKER_CONFIG=${dockerConfig} ${cosign} ${verifyAttestation.join(' ')}
  DOCKER_CONFIG=${dockerConfig} ${cosign} ${verifyProvenance.join(' ')}
`)
