/**
 * The distroless, non-root policy, checked from the Dockerfile before anything is built:
 * the final stage's base, its user, and the form of its ENTRYPOINT and CMD.
 */
import type { GateFinding } from '../gates/verdict.js'
import { imageTag, matchesPattern } from '../tags/refs.js'
import type { ParsedDockerfile, Stage } from './parse.js'
import { finalStage, reachableStages, stageChain } from './parse.js'

export interface PolicyOptions {
  target: string
  allowRoot: boolean
  /** Image patterns (`*` matches anything) accepted besides gcr.io/distroless/*. */
  allowedBases: string[]
  dockerfileName: string
}

const ROOT_USERS = /^(0|root)(:.*)?$/

export function isDistroless(image: string, allowed: string[]): boolean {
  return image.startsWith('gcr.io/distroless/') || allowed.some((p) => matchesPattern(image, p))
}

export function checkDockerfile(parsed: ParsedDockerfile, o: PolicyOptions): GateFinding[] {
  const final = finalStage(parsed, o.target)
  if (!final) return [{ rule: 'stage', level: 'error', message: `${o.dockerfileName}: no stage to check` }]
  const chain = stageChain(parsed, final)
  const base = chain[chain.length - 1] as Stage
  const where = (s: Stage, line: number) => `${o.dockerfileName}:${line} (stage ${s.name ? `"${s.name}"` : `#${s.index}`})`
  const findings: GateFinding[] = []
  const image = base.image

  if (!isDistroless(image, o.allowedBases)) {
    findings.push({
      rule: 'distroless-base',
      level: 'error',
      message: `${where(base, base.line)}: the final image is built on "${image}", which is not distroless. Use gcr.io/distroless/* (e.g. gcr.io/distroless/static-debian13:nonroot), or list the base in \`allowed-bases\`.`
    })
  }
  if (/^gcr\.io\/distroless\/[^:@]*-debian12(?=[:@]|$)/.test(image)) {
    findings.push({
      rule: 'base-end-of-life',
      level: 'warning',
      message: `${where(base, base.line)}: "${image}" is Debian 12, past its end of life (September 2026): use ${image.replace('-debian12', '-debian13').replace(/@sha256:[a-f0-9]+$/, '')}`
    })
  }
  if (!image.includes('@sha256:') && image !== 'scratch') {
    findings.push({ rule: 'base-digest', level: 'notice', message: `${where(base, base.line)}: "${image}" is given by tag without a digest; pin it (${image}@sha256:…) for reproducible releases` })
  }

  if (!o.allowRoot) {
    const userStage = chain.find((s) => s.user)
    if (userStage && ROOT_USERS.test(userStage.user)) {
      findings.push({
        rule: 'non-root',
        level: 'error',
        message: `${where(userStage, userStage.userLine)}: the final stage runs as root (USER ${userStage.user}). Use USER 65532:65532 (nonroot), or set \`allow-root: true\`.`
      })
    } else if (!userStage && image.startsWith('gcr.io/distroless/') && imageTag(image) && !imageTag(image).endsWith('nonroot')) {
      // Distroless runs as root except its *nonroot tags; an untagged digest is judged after the push.
      findings.push({
        rule: 'non-root',
        level: 'error',
        message: `${where(final, final.line)}: the final stage runs as root: "${image}" runs as root and no USER is set. Use the :nonroot tag or add USER 65532:65532, or set \`allow-root: true\`.`
      })
    }
  }

  for (const kind of ['entrypoint', 'cmd'] as const) {
    const s = chain.find((c) => c[kind])
    const ins = s?.[kind]
    if (s && ins && !ins.json) {
      findings.push({
        rule: 'exec-form',
        level: 'error',
        message: `${where(s, ins.line)}: ${kind.toUpperCase()} is in shell form, which needs a shell that distroless images do not have: write it as JSON, e.g. ${kind.toUpperCase()} ["/app"]`
      })
    }
  }
  // What an ADD fetches is part of the release as much as a base is; with no checksum nothing
  // says it is what was reviewed (the same hole as an unverified COPY --from image).
  for (const s of reachableStages(parsed, o.target)) {
    for (const add of s.remoteAdds.filter((a) => !a.checksum)) {
      findings.push({
        rule: 'remote-source',
        level: 'error',
        message: `${where(s, add.line)}: ADD fetches ${add.source} with nothing to check it against: pin it with --checksum (sha256:… for a URL, the commit for a Git repository), or fetch and verify it in a RUN step`
      })
    }
  }
  return findings
}

/** A platform's pushed image config runs as root: "" (root by default), 0, root, 0:x, root:x. */
export function runsAsRoot(user: string | undefined): boolean {
  return !user || ROOT_USERS.test(user.trim())
}
