// Build secrets (issue 14): the static template reads GIT_AUTH_TOKEN (github-token) and a second
// secret through --mount=type=secret, and neither value is found anywhere afterwards: not in any
// layer of any platform (every layer blob read from the registry and decompressed, so a file
// deleted by a later layer would still be found), the configs and history, the buildx metadata
// output, the SBOMs, the summary, the step log (outside ::add-mask::) or RUNNER_TEMP after post.
import { execFileSync } from 'node:child_process'
import * as crypto from 'node:crypto'
import * as fs from 'node:fs'
import * as path from 'node:path'
import * as zlib from 'node:zlib'
import { describe, expect, test } from 'vitest'
import { runAction } from './support/harness.js'
import { docker, e2e, requireEnvironment, secretLeaks, uniqueImage, workspace } from './support/env.js'

const run = requireEnvironment()
const R = e2e.registry

/** A blob of the e2e registry, as stored (curl with the e2e CA and credentials). */
function blob(repository: string, digest: string): Buffer {
  return execFileSync('curl', ['-fsS', '--cacert', process.env.BDI_REGISTRY_CA ?? '', '-u', `${e2e.user}:${e2e.password}`, `https://${R}/v2/${repository}/blobs/${digest}`], { maxBuffer: 512 << 20 })
}

/** Every file under a directory, read whole. */
function filesUnder(dir: string): Array<{ file: string; text: string }> {
  if (!fs.existsSync(dir)) return []
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((d) => d.isFile()).map((d) => {
    const file = path.join(d.parentPath, d.name)
    return { file, text: fs.readFileSync(file, 'latin1') }
  })
}

describe.runIf(run)('build secrets (issue 14)', () => {
  test('the template reads GIT_AUTH_TOKEN and a secret through --mount=type=secret; neither value is anywhere afterwards', async () => {
    const token = `ghs_${crypto.randomBytes(18).toString('hex')}`
    const extra = `npm_${crypto.randomBytes(18).toString('hex')}`
    const secrets = [token, extra]
    const image = uniqueImage('secrets')
    const repository = image.slice(R.length + 1)
    // The module download step is the template's; the program reads nothing secret at run time.
    const ws = workspace({
      'go.mod': 'module example.com/operator\n\ngo 1.24\n',
      'main.go': 'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("operator") }\n'
    })
    let sboms: Array<{ file: string; text: string }> = []
    const r = await runAction(
      {
        image,
        dockerfile: 'static',
        version: 'v0.1.0',
        'build-args': `BUILDER_IMAGE=${R}/e2e/golang:1.24\nRUNTIME_IMAGE=${R}/e2e/static:nonroot\nGOPRIVATE=github.com/vmafx/*`,
        'allowed-bases': `${R}/e2e/*`,
        'registry-username': e2e.user,
        'registry-password': e2e.password,
        'github-token': token,
        secrets: `NPM_TOKEN=${extra}`,
        provenance: 'mode=max',
        // The module step must run, not come from the cache (a secret's value is not in the cache key).
        'no-cache-filters': 'build',
        sign: 'false',
        sbom: 'true',
        'sbom-artifact': 'false',
        'tools-url': `${e2e.mirror}/good`,
        'tools-checksums': e2e.toolsChecksums
      },
      {
        workspace: ws,
        beforePost: (main) => {
          sboms = Object.values(JSON.parse(main.outputs.sbom ?? '{}') as Record<string, string>).map((file) => ({ file, text: fs.readFileSync(file, 'utf8') }))
          // While main's files are there: the secret files are 0600.
          for (const f of filesUnder(main.runnerTemp).filter((x) => x.file.includes(`${path.sep}secrets${path.sep}`))) expect(fs.statSync(f.file).mode & 0o777, f.file).toBe(0o600)
        }
      }
    )
    expect(r.exitCode, r.log).toBe(0)
    expect(r.post?.exitCode).toBe(0)
    // The secret reached the template's module step (it says so only when the file is there, non-empty).
    expect(r.log).toContain('private modules: git authenticates to github.com with the GIT_AUTH_TOKEN secret; GOPRIVATE=github.com/vmafx/*')
    // ... and the values were given to buildx as files, never as arguments.
    expect(r.log).toMatch(/--secret id=NPM_TOKEN,src=\S+ --secret id=GIT_AUTH_TOKEN,src=\S+/)

    // Every layer of every platform, decompressed; every config (with its history).
    const index = JSON.parse(docker(['buildx', 'imagetools', 'inspect', '--raw', `${image}@${r.outputs.digest}`]).out) as { manifests: Array<{ digest: string }> }
    let layers = 0
    for (const m of index.manifests) {
      const manifest = JSON.parse(docker(['buildx', 'imagetools', 'inspect', '--raw', `${image}@${m.digest}`]).out) as { config: { digest: string }; layers: Array<{ digest: string; mediaType: string }> }
      expect(secretLeaks(blob(repository, manifest.config.digest).toString('utf8'), secrets), `config of ${m.digest}`).toEqual([])
      for (const l of manifest.layers) {
        const raw = blob(repository, l.digest)
        const content = l.mediaType.endsWith('gzip') ? zlib.gunzipSync(raw) : raw
        expect(secretLeaks(content.toString('latin1'), secrets), `layer ${l.digest}`).toEqual([])
        layers++
      }
    }
    // two platforms' images and their provenance (mode=max records the build args, not secrets)
    expect(layers).toBeGreaterThanOrEqual(4)
    expect(secretLeaks(r.outputs.metadata ?? '', secrets), 'buildx metadata').toEqual([])
    expect(sboms).toHaveLength(2)
    for (const s of sboms) expect(secretLeaks(s.text, secrets), s.file).toEqual([])
    expect(secretLeaks(r.summary, secrets), 'summary').toEqual([])
    expect(secretLeaks(r.log, secrets), 'main log').toEqual([])
    expect(secretLeaks(r.post?.log ?? '', secrets), 'post log').toEqual([])
    expect(secretLeaks(fs.readFileSync(r.files.output, 'utf8') + fs.readFileSync(r.files.state, 'utf8'), secrets), 'outputs and state').toEqual([])
    const left = filesUnder(r.runnerTemp)
    for (const f of left) expect(secretLeaks(f.text, secrets), f.file).toEqual([])
    expect(left.filter((f) => f.file.includes(`${path.sep}secrets${path.sep}`))).toEqual([])
  })
})
