/**
 * The attestation store step (`attestation-store: true`), after every signature and attestation
 * is written and verified: each bundle read back from the registry, where cosign 3 attached it as
 * an OCI referrer of its digest, and uploaded to GitHub's store unless the store holds it already.
 *
 * Read back, not captured as cosign writes it: `cosign attest` has no flag that writes the bundle
 * of an image attestation to a file, and a re-run, which signs nothing that is already signed,
 * finds the bundles an earlier attempt made only there. The registry is also where consumers
 * (`gh attestation verify --bundle-from-oci`) read them: the store receives the same bytes.
 */
import * as core from '../lib/log.js'
import type { ImageInputs } from '../inputs/image.js'
import type { SupplyChainInputs } from '../inputs/supply-chain.js'
import { errorMessage } from '../lib/errors.js'
import { withRetry } from '../lib/retry.js'
import type { GitHubContext } from '../lib/runner-env.js'
import type { Referrer } from '../registry/http-api.js'
import { RegistryApi } from '../registry/http-api.js'
import { credentialsFor } from '../registry/login.js'
import type { RunOutputs } from '../report/outputs.js'
import type { Report } from '../report/summary.js'
import type { ImageName } from '../tags/refs.js'
import type { FoundBundle, SigstoreBundle, StoreClient, StoreItem, StoreReport } from './attestation-store.js'
import { StoreError, attestationUrl, expectedOf, selectBundles, storeClient, transientStore } from './attestation-store.js'
import type { Signed } from './release-step.js'

export interface StoreRun {
  inputs: Pick<ImageInputs, 'image' | 'registryUsername' | 'registryPassword' | 'registryAuth'> & Pick<SupplyChainInputs, 'attestationStore' | 'attestationStoreToken'>
  ctx: Pick<GitHubContext, 'apiUrl' | 'repository' | 'serverUrl'>
  configDir: string
  report: Pick<Report, 'notes' | 'attestationStore'>
  outputs: RunOutputs
}

/** Reads the referrers of a digest in one image's repository. */
export type ReferrerReader = (image: ImageName) => Pick<RegistryApi, 'referrers' | 'imageManifest' | 'blobText'>

/** The artifact type of a Sigstore bundle referrer (cosign 3 writes v0.3). */
const BUNDLE_ARTIFACT = /^application\/vnd\.dev\.sigstore\.bundle(\.v0\.\d+)?\+json/

export async function storeStep(run: StoreRun, signed: Signed | undefined, client?: StoreClient, reader?: ReferrerReader): Promise<void> {
  const { inputs, ctx } = run
  if (!inputs.attestationStore) return
  if (!signed || signed.identity.kind !== 'keyless' || !signed.predicates.length) {
    run.report.notes.push('attestation-store: nothing was attested here, so nothing was uploaded to GitHub\'s attestation store')
    return
  }
  const signer = signed.identity.certificateIdentity
  const store = client ?? storeClient(ctx.apiUrl, ctx.repository, inputs.attestationStoreToken)
  const read = reader ?? ((image: ImageName) => registryReader(run, image))
  const report: StoreReport = { repository: ctx.repository, created: [], already: 0, notStored: [] }
  run.report.attestationStore = report
  await core.group(`Attestation store (GitHub, ${ctx.repository})`, async () => {
    const expected = expectedOf(signed.predicates)
    // Every read at once (the registries' referrers, the store's lists): on a re-run they are all the work there is.
    const [found, lists] = await Promise.all([
      Promise.all(signed.images.map((image) => bundlesOf(read(image), image.name, uniqueSubjects(expected)))).then((all) => all.flat()),
      Promise.all([...new Set(expected.map((e) => e.digest))].map((digest) => withRetry(() => store.storedKeys(digest), { what: `listing the attestations of ${digest} in GitHub's store`, baseDelayMs: 1000, attempts: 3 })))
    ])
    const stored = new Set<string>(lists.flatMap((keys) => [...keys]))
    const selection = selectBundles(signed.images.map((i) => i.name), expected, found, stored, signer)
    report.already = selection.stored.length
    core.info(`${selection.upload.length} bundle(s) to upload; ${selection.stored.length} already in the store`)
    for (const m of selection.missing) report.notStored.push({ ref: `${m.image}@${m.digest}`, subject: m.subject, predicateType: m.type, why: `no bundle of it signed as ${signer} among the referrers of the digest` })
    await upload(store, selection.upload, report, ctx)
  })
  run.outputs.attestationIds = report.created.map((c) => c.id)
  if (report.notStored.length) throw new Error(unfinishedStoreMessage(report))
}

/** Uploads one at a time; after a failure the store is not asked again (the rest wait for the re-run), except after a refusal of one bundle (422). */
async function upload(store: StoreClient, items: StoreItem[], report: StoreReport, ctx: StoreRun['ctx']): Promise<void> {
  let stopped: string | undefined
  for (const item of items) {
    const ref = `${item.image}@${item.digest}`
    if (stopped) {
      report.notStored.push({ ref, subject: item.subject, predicateType: item.predicateType, why: `not tried after ${stopped}` })
      continue
    }
    try {
      const id = await withRetry(() => store.create(item.bundle), { what: `uploading the ${item.predicateType} bundle of ${ref}`, baseDelayMs: 1000, attempts: 3 })
      const url = attestationUrl(ctx.serverUrl, ctx.repository, id)
      report.created.push({ ref, subject: item.subject, predicateType: item.predicateType, id, url })
      core.info(`Stored ${item.predicateType} of ${ref}: ${url}`)
    } catch (err) {
      const why = errorMessage(err)
      core.error(`GitHub's attestation store did not take the ${item.predicateType} bundle of ${ref}: ${why}`)
      report.notStored.push({ ref, subject: item.subject, predicateType: item.predicateType, why })
      if (transientStore(err) || (err instanceof StoreError && err.status !== 422)) stopped = `the failure above (${why.split('\n')[0] ?? ''})`
    }
  }
}

/** The error of a store step that left bundles out: like the other unfinished steps, what is left and how a re-run finishes it. */
export function unfinishedStoreMessage(r: StoreReport): string {
  const list = r.notStored.map((n) => `${n.subject} ${n.ref} (${n.predicateType}): ${n.why}`).join('\n- ')
  return `Signed and attested, but not in GitHub's attestation store of ${r.repository} (${r.created.length} stored now, ${r.already} stored before):\n- ${list}\nNothing is lost: every bundle stays in the registry beside its digest. Re-run the job: it asks the store what it holds for each digest (GET /repos/${r.repository}/attestations/DIGEST) and uploads only what is missing; nothing is signed or attested again.`
}

function uniqueSubjects(expected: Array<{ subject: string; digest: string }>): Array<{ subject: string; digest: string }> {
  return [...new Map(expected.map((e) => [`${e.subject} ${e.digest}`, { subject: e.subject, digest: e.digest }])).values()]
}

/** Every Sigstore bundle among each subject's referrers in one image's repository, read in parallel. */
async function bundlesOf(api: ReturnType<ReferrerReader>, image: string, subjects: Array<{ subject: string; digest: string }>): Promise<FoundBundle[]> {
  const perSubject = await Promise.all(
    subjects.map(async (s) => {
      const referrers: Referrer[] = await withRetry(() => api.referrers(s.digest), { what: `listing the referrers of ${image}@${s.digest}` })
      // A referrers index may leave the artifact type out of its descriptors: the manifest then says.
      const bundles = await Promise.all(
        referrers
          .filter((x) => !x.artifactType || BUNDLE_ARTIFACT.test(x.artifactType))
          .map(async (r): Promise<FoundBundle | undefined> => {
            const manifest = await withRetry(() => api.imageManifest(r.digest), { what: `reading referrer ${r.digest} of ${image}` })
            const layer = manifest.layers?.[0]
            if (!layer || !BUNDLE_ARTIFACT.test(r.artifactType ?? manifest.artifactType ?? layer.mediaType)) return undefined
            const text = await withRetry(() => api.blobText(layer.digest), { what: `reading bundle ${layer.digest} of ${image}` })
            return { image, subject: s.subject, digest: s.digest, bundle: JSON.parse(text) as SigstoreBundle }
          })
      )
      return bundles.filter((b): b is FoundBundle => b !== undefined)
    })
  )
  return perSubject.flat()
}

/** The registry API of an image, with the credentials the action has for its registry. */
function registryReader(run: StoreRun, image: ImageName): RegistryApi {
  return new RegistryApi({ registry: image.registry, repository: image.path, ...credentialsFor(run.inputs, run.configDir, image.registry) })
}
