// The build inputs of issue 14, run for real: build-contexts replacing base images by name (the
// Dockerfile names golang and gcr.io/distroless, which cannot be reached here: only the named
// contexts make it build), and no-cache.
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { describe, expect, test } from 'vitest'
import { runAction } from './support/harness.js'
import { docker, e2e, goProgram, requireEnvironment, uniqueImage, workspace } from './support/env.js'

const run = requireEnvironment()
const R = e2e.registry

const DOCKERFILE = `FROM --platform=$BUILDPLATFORM golang:1.24 AS build
ARG TARGETOS TARGETARCH
WORKDIR /src
COPY go.mod main.go ./
RUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH go build -trimpath -o /out/hello .

FROM gcr.io/distroless/static-debian13:nonroot
COPY --from=build /out/hello /hello
ENTRYPOINT ["/hello"]
`

/** BuildKit's plain progress: whether the `go build` step was taken from the cache (`#N CACHED` right after it). */
const goBuildCached = (log: string) => /#(\d+) \[build \d\/\d\] RUN CGO_ENABLED[^\n]*\n#\1 CACHED/.test(log)

describe.runIf(run)('build inputs (issue 14)', () => {
  test('build-contexts replaces the bases by name; a rebuild is cached; no-cache runs the go build again', async () => {
    const image = uniqueImage('build-inputs')
    const ws = workspace({ ...goProgram, Dockerfile: DOCKERFILE })
    // Each run gets a builder of its own (the release pushes by digest through a docker-container
    // builder the action creates), so the cache travels as it does between jobs: exported and
    // imported (type=local here, type=gha on GitHub).
    const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'bdi-cache-'))
    const inputs = {
      image,
      'cache-to': `type=local,dest=${cache},mode=max`,
      'cache-from': `type=local,src=${cache}`,
      platforms: 'linux/amd64',
      'build-contexts': `golang:1.24=docker-image://${R}/e2e/golang:1.24\ngcr.io/distroless/static-debian13:nonroot=docker-image://${R}/e2e/static:nonroot`,
      'registry-username': e2e.user,
      'registry-password': e2e.password,
      tags: 'edge',
      sign: 'false',
      sbom: 'false'
    }
    const first = await runAction(inputs, { workspace: ws })
    expect(first.exitCode, first.log).toBe(0)
    expect(first.log).toContain(`--build-context golang:1.24=docker-image://${R}/e2e/golang:1.24 --build-context gcr.io/distroless/static-debian13:nonroot=docker-image://${R}/e2e/static:nonroot`)
    // The image runs: the Go program was built on the mirrored golang and put on the mirrored base.
    expect(docker(['run', '--rm', `${image}@${first.outputs.digest}`]).out.trim()).toBe('linux/amd64 uid=65532 machine=')

    const cached = await runAction(inputs, { workspace: ws })
    expect(cached.exitCode, cached.log).toBe(0)
    expect(goBuildCached(cached.log), cached.log).toBe(true)

    const fresh = await runAction({ ...inputs, 'no-cache': 'true' }, { workspace: ws })
    expect(fresh.exitCode, fresh.log).toBe(0)
    expect(fresh.log).toContain(' --no-cache ')
    // The go build ran again (base image resolution may still say CACHED: it builds nothing).
    expect(fresh.log).toMatch(/RUN CGO_ENABLED=0 GOOS=linux GOARCH=amd64 go build/)
    expect(goBuildCached(fresh.log), fresh.log).toBe(false)
  })
})
