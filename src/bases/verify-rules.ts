/**
 * The base images a build of the target uses, verified with cosign before anything is built on
 * them, and pinned to the digest that verified (a tag that moves afterwards cannot slip in).
 */
import type { ParsedDockerfile } from '../dockerfile/parse.js'
import { externalBases } from '../dockerfile/parse.js'
import { InputError } from '../lib/errors.js'
import type { BaseIdentity, BasesInputs } from '../inputs/bases.js'
import { imageName, matchesPattern } from '../tags/refs.js'
import { isDigestRef } from '../tags/refs.js'

/**
 * GoogleContainerTools/distroless README, "Keyless (recommended)": "Distroless images are signed
 * with cosign in keyless mode. You can verify the keyless signature of any distroless image with:
 * cosign verify $IMAGE_NAME --certificate-oidc-issuer https://accounts.google.com
 * --certificate-identity keyless@distroless.iam.gserviceaccount.com"
 */
export const DISTROLESS_SIGNER: BaseIdentity = { pattern: 'gcr.io/distroless/*', identity: 'keyless@distroless.iam.gserviceaccount.com', issuer: 'https://accounts.google.com' }

/** How a base is checked: a keyless identity (distroless's on the public Sigstore), or `base-key`. */
export type BaseCheck = { kind: 'keyless'; identity: string; issuer: string; publicSigstore: boolean } | { kind: 'key' }

export interface Base {
  /** The reference to resolve and verify: the FROM image, or the `docker-image://` target of a build context that replaces it. */
  ref: string
  /** The named context that replaces it in the build (the FROM text as BuildKit looks it up, or the user's context name). */
  context: string
  /** Stages that start from it, for the messages. */
  stages: string[]
  check?: BaseCheck
}

export interface BasePlan {
  /** Bases to verify, each with its check. */
  verify: Base[]
  /** Bases left alone, and why (the log lists them). */
  unchecked: Array<{ ref: string; why: string }>
}

/**
 * The name BuildKit's Dockerfile frontend looks a FROM up by among the named contexts: the
 * familiar form (`golang:1.27` for `docker.io/library/golang:1.27`), without `:latest`.
 */
export function contextKey(ref: string): string {
  let r = ref
  const first = r.split('/')[0] ?? ''
  if (/^(docker\.io|index\.docker\.io|registry-1\.docker\.io)$/.test(first)) r = r.slice(first.length + 1)
  const head = r.split('/')[0] ?? ''
  if (r.includes('/') && !/[.:]/.test(head) && head !== 'localhost' && head === 'library') r = r.slice('library/'.length)
  return r.replace(/:latest$/, '')
}

/**
 * The bases of the stages a build of `target` runs (not `scratch`, not other stages), and every
 * image those stages copy or mount from: each is a base, verified and pinned alike. A base that
 * a `build-contexts` entry replaces is that entry's `docker-image://` image, or is not a registry image.
 */
export function targetBases(parsed: ParsedDockerfile, target: string, buildContexts: Array<[string, string]>): { bases: Base[]; unchecked: BasePlan['unchecked'] } {
  const byRef = new Map<string, Base>()
  const unchecked: BasePlan['unchecked'] = []
  for (const { image, rawImage, label, read, platformDependent } of externalBases(parsed, target)) {
    const known = byRef.get(image)
    if (known) {
      known.stages.push(label)
      continue
    }
    if (platformDependent) {
      unchecked.push({ ref: rawImage, why: read ? `stage ${label} names the image through a variable` : `stage ${label} names its base through a variable that depends on the platform` })
      continue
    }
    // BuildKit looks a COPY --from / RUN --mount=from image up among the named contexts as it does a FROM.
    const key = contextKey(image)
    const given = buildContexts.find(([name]) => name === key || name === image)
    if (given) {
      const target = given[1].startsWith('docker-image://') ? given[1].slice('docker-image://'.length) : undefined
      if (!target) {
        unchecked.push({ ref: image, why: `build-contexts replaces it with ${given[1]}, which is not a registry image` })
        continue
      }
      byRef.set(image, { ref: target, context: given[0], stages: [label] })
      continue
    }
    byRef.set(image, { ref: image, context: key, stages: [label] })
  }
  // The frontend reads the Dockerfile and decides what is built: an image whose code runs in the build, never pinned here.
  if (parsed.syntax) unchecked.push({ ref: parsed.syntax, why: 'the Dockerfile frontend (# syntax= or BUILDKIT_SYNTAX): BuildKit runs it to read the Dockerfile, and the action neither verifies nor pins it' })
  return { bases: [...byRef.values()], unchecked }
}

/** Which check each base gets under `verify-bases`; `all` refuses a base nothing covers. */
export function planBases(found: { bases: Base[]; unchecked: BasePlan['unchecked'] }, o: BasesInputs): BasePlan {
  if (o.verifyBases === 'off') return { verify: [], unchecked: [] }
  const { bases } = found
  const plan: BasePlan = { verify: [], unchecked: [...found.unchecked] }
  for (const b of bases) {
    const check = checkFor(b.ref, o)
    if (check) plan.verify.push({ ...b, check })
    else plan.unchecked.push({ ref: b.ref, why: 'not a distroless image, and no base-identities line matches it' })
  }
  if (o.verifyBases === 'all' && plan.unchecked.length) {
    const list = plan.unchecked.map((u) => `${u.ref} (${u.why})`).join('; ')
    throw new InputError('verify-bases', `is all, but these bases cannot be verified: ${list}. Add a base-identities line or base-key that covers each, or use verify-bases: distroless`)
  }
  return plan
}

function checkFor(ref: string, o: BasesInputs): BaseCheck | undefined {
  const name = imageName(ref)
  const line = o.baseIdentities.find((i) => matchesPattern(ref, i.pattern))
  if (line) return { kind: 'keyless', identity: line.identity, issuer: line.issuer, publicSigstore: false }
  if (matchesPattern(name, DISTROLESS_SIGNER.pattern)) return { kind: 'keyless', identity: DISTROLESS_SIGNER.identity, issuer: DISTROLESS_SIGNER.issuer, publicSigstore: true }
  if (o.verifyBases === 'all' && o.baseKey) return { kind: 'key' }
  return undefined
}

export interface BaseVerifyOptions {
  /** The public key file of `base-key`. */
  publicKey?: string
  /** `transparency-log: false`: key-signed bases were signed without the log too. */
  transparencyLog: boolean
  /** cosign 3's trusted root of a private Sigstore instance (sigstore-trusted-root), for base-identities and base-key. */
  trustedRoot?: string
}

/** `cosign verify` of a base by digest, as distroless's README and cosign's docs give it. */
export function verifyBaseArgv(check: BaseCheck, ref: string, o: BaseVerifyOptions): string[] {
  if (!isDigestRef(ref)) throw new Error(`refusing to verify "${ref}": bases are verified by digest`)
  const root = o.trustedRoot ? ['--trusted-root', o.trustedRoot] : []
  if (check.kind === 'keyless') {
    return ['verify', '--certificate-identity', check.identity, '--certificate-oidc-issuer', check.issuer, ...(check.publicSigstore ? [] : root), '--output', 'json', ref]
  }
  if (!o.publicKey) throw new Error('base-key is needed to verify a key-signed base')
  return ['verify', '--key', o.publicKey, ...(o.transparencyLog ? root : ['--insecure-ignore-tlog=true']), '--output', 'json', ref]
}

/** Who a base had to be signed by, for the messages and the summary. */
export function expectedSigner(check: BaseCheck): string {
  return check.kind === 'key' ? 'the key in base-key' : `${check.identity} (issuer ${check.issuer})`
}

export interface VerifiedBase {
  ref: string
  digest: string
  stages: string[]
  signer: string
}

/** `NAME@DIGEST` of a base: a digest the FROM already pins is kept. */
export function pinnedRef(ref: string, digest: string): string {
  return `${imageName(ref)}@${digest}`
}

/** The digest a FROM pins, if it does (`name:tag@sha256:…` or `name@sha256:…`). */
export function pinnedDigest(ref: string): string | undefined {
  return /@(sha256:[a-f0-9]{64})$/.exec(ref)?.[1]
}

/**
 * The build contexts the build gets: the user's, with a verified base's `docker-image://` target
 * pinned to its digest, plus one context per verified base the FROM names by tag.
 */
export function pinnedContexts(given: Array<[string, string]>, verified: Array<VerifiedBase & { context: string }>): Array<[string, string]> {
  const out = given.map(([name, value]): [string, string] => {
    const v = verified.find((b) => b.context === name)
    return v ? [name, `docker-image://${pinnedRef(v.ref, v.digest)}`] : [name, value]
  })
  for (const v of verified) {
    if (out.some(([name]) => name === v.context)) continue
    if (pinnedDigest(v.ref) === v.digest) continue
    out.push([v.context, `docker-image://${pinnedRef(v.ref, v.digest)}`])
  }
  return out
}

export interface BaseVerifier {
  /** The digest a tag resolves to now (an index for a multi-platform base). */
  digest(ref: string): Promise<string>
  /** Runs cosign; rejects with cosign's error when the check fails. */
  cosign(args: string[]): Promise<void>
  options: BaseVerifyOptions
}

/**
 * Resolves each base to a digest and verifies that digest; all are checked, and every failure is
 * named (base, digest, the signer expected) in one error, before anything is built.
 */
export async function verifyBases(plan: BasePlan, v: BaseVerifier): Promise<Array<VerifiedBase & { context: string }>> {
  const outcomes = await Promise.allSettled(
    plan.verify.map(async (b) => {
      const check = b.check ?? { kind: 'key' as const }
      const digest = pinnedDigest(b.ref) ?? (await v.digest(b.ref))
      const ref = pinnedRef(b.ref, digest)
      try {
        await v.cosign(verifyBaseArgv(check, ref, v.options))
      } catch (err) {
        const why = err instanceof Error ? err.message : String(err)
        throw new Error(`base ${b.ref} (stage ${b.stages.join(', ')}) resolved to ${digest} and is not signed by ${expectedSigner(check)}: ${why}`, { cause: err })
      }
      return { ref: b.ref, digest, stages: b.stages, signer: expectedSigner(check), context: b.context }
    })
  )
  const failed = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason instanceof Error ? o.reason.message : String(o.reason)] : []))
  if (failed.length) throw new Error(`Base image verification failed, so nothing was built or pushed:\n- ${failed.join('\n- ')}`)
  return outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []))
}
