// The artifact-service stand-in's contract, driven by the real @actions/artifact client the action
// bundles. What the real service answers is taken from its client and from what users of
// actions/upload-artifact@v4 see in their logs: a second artifact of a name in a workflow run is
// refused with "(409) Conflict: an artifact with this name already exists on the workflow run",
// whichever job or attempt made the first; a failure after CreateArtifact leaves the name taken.
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest'
import { DefaultArtifactClient } from '@actions/artifact'
import type { ArtifactStandin } from '../../../scripts/e2e/actions-artifact-standin.js'
import { startArtifactService, unzip } from '../../../scripts/e2e/actions-artifact-standin.js'

let service: ArtifactStandin
let dir: string
const saved = { ...process.env }

beforeAll(async () => {
  service = await startArtifactService()
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'artifact-standin-'))
  fs.writeFileSync(path.join(dir, 'sbom-linux-amd64.cdx.json'), JSON.stringify({ bomFormat: 'CycloneDX', n: 1 }))
  fs.writeFileSync(path.join(dir, 'sbom-linux-arm64.cdx.json'), JSON.stringify({ bomFormat: 'CycloneDX', n: 2 }).repeat(1000))
})
afterAll(async () => {
  process.env = saved
  await service.close()
})
beforeEach(() => {
  process.env = { ...saved, GITHUB_SERVER_URL: 'https://github.com', GITHUB_WORKSPACE: dir }
  service.failFinalize(false)
})

/** A job of the run: the client reads its env when it is made and when it uploads. */
function asJob(run: string) {
  Object.assign(process.env, service.job(run).env)
  return new DefaultArtifactClient()
}
const files = () => ['sbom-linux-amd64.cdx.json', 'sbom-linux-arm64.cdx.json'].map((f) => path.join(dir, f))
const conflict = 'Failed to CreateArtifact: Received non-retryable error: Failed request: (409) Conflict: an artifact with this name already exists on the workflow run'

describe('the artifact service stand-in, with the real @actions/artifact client', () => {
  test('an upload is created, put as blocks, finalized, and holds the files as zipped', async () => {
    const run = 'run-upload'
    const { id, size } = await asJob(run).uploadArtifact('sbom-a', files(), dir)
    const [stored] = service.artifacts(run)
    expect(stored?.id).toBe(id)
    expect(stored?.zip.length).toBe(size)
    expect(Object.keys(unzip(stored?.zip ?? Buffer.alloc(0))).sort()).toEqual(['sbom-linux-amd64.cdx.json', 'sbom-linux-arm64.cdx.json'])
    expect(unzip(stored?.zip ?? Buffer.alloc(0))['sbom-linux-arm64.cdx.json']?.toString()).toBe(fs.readFileSync(files()[1] ?? '', 'utf8'))
    expect(service.requests.filter((r) => r.includes('/twirp/')).slice(-2)).toEqual([
      'POST /twirp/github.actions.results.api.v1.ArtifactService/CreateArtifact',
      'POST /twirp/github.actions.results.api.v1.ArtifactService/FinalizeArtifact'
    ])
  })

  test('a second artifact of the same name in the run is refused with 409, from another job as from the same one', async () => {
    const run = 'run-dup'
    await asJob(run).uploadArtifact('sbom-same', files(), dir)
    await expect(asJob(run).uploadArtifact('sbom-same', files(), dir)).rejects.toThrow(conflict)
    await expect(new DefaultArtifactClient().uploadArtifact('sbom-same', files(), dir)).rejects.toThrow(conflict)
    expect(service.artifacts(run).map((a) => a.name)).toEqual(['sbom-same'])
  })

  test('the same name in another run, or another name in the run, is accepted', async () => {
    await asJob('run-x').uploadArtifact('sbom-n', files(), dir)
    await asJob('run-y').uploadArtifact('sbom-n', files(), dir)
    await asJob('run-x').uploadArtifact('sbom-m', files(), dir)
    expect(service.artifacts('run-x').map((a) => a.name)).toEqual(['sbom-n', 'sbom-m'])
    expect(service.artifacts('run-y').map((a) => a.name)).toEqual(['sbom-n'])
  })

  test('a refused FinalizeArtifact fails the upload and leaves the name taken, so a retry gets 409', async () => {
    const run = 'run-finalize'
    service.failFinalize(true)
    await expect(asJob(run).uploadArtifact('sbom-f', files(), dir)).rejects.toThrow(/Failed to FinalizeArtifact: Received non-retryable error: Failed request: \(403\) Forbidden/)
    service.failFinalize(false)
    await expect(asJob(run).uploadArtifact('sbom-f', files(), dir)).rejects.toThrow(conflict)
    expect(service.artifacts(run)).toEqual([])
  })

  test('a token the service did not issue is refused', async () => {
    Object.assign(process.env, service.job('run-auth').env)
    const claims = Buffer.from(JSON.stringify({ scp: 'Actions.Results:run-auth:job-z' })).toString('base64url')
    process.env.ACTIONS_RUNTIME_TOKEN = `e30.${claims}.x`
    await expect(new DefaultArtifactClient().uploadArtifact('sbom-t', files(), dir)).rejects.toThrow(/\(401\)/)
  })
})
