// The pinned defaults must agree everywhere they are written: the code's default tool versions,
// action.yml's input defaults, the README's input table, the compiled-in sha256 table, and the
// templates' builder image. Takes the files' text; returns the disagreements (empty when none).

const HEX64 = /^[a-f0-9]{64}$/

/**
 * The BuildKit release the builder the action creates runs by default, and its image index digest
 * as independent public pins give it (see the commit that set it). Moving the default means
 * changing this too, on purpose.
 */
export const BUILDKIT_PIN = { tag: 'v0.26.2', digest: 'sha256:de10faf919fc71ba4eb1dd7bd6449566d012b0c9436b1c61bfee21d621b009aa' }

/** `export const NAME = 'value'` in TypeScript source. */
function constant(source, name) {
  return new RegExp(`export const ${name} = '([^']+)'`).exec(source)?.[1]
}

/** The assets the compiled-in table must hold for a default version. */
export function expectedAssets(tool, version) {
  const v = version.replace(/^v/, '')
  if (tool === 'cosign') return [`cosign/${v}/cosign-linux-amd64`, `cosign/${v}/cosign-linux-arm64`]
  if (tool === 'trivy') return [`trivy/${v}/trivy_${v}_Linux-64bit.tar.gz`, `trivy/${v}/trivy_${v}_Linux-ARM64.tar.gz`]
  return [`syft/${v}/syft_${v}_linux_amd64.tar.gz`, `syft/${v}/syft_${v}_linux_arm64.tar.gz`]
}

/**
 * @param {{ supplyChain: string, vulnerability: string, builder: string, checksums: string, action: { inputs?: Record<string, { default?: string }> }, readme: string, templates: Record<string, string>, templatesReadme: string }} f
 */
export function defaultsProblems(f) {
  const problems = []
  // The input rows are those of the Inputs section: other tables (Migration) name inputs too.
  f = { ...f, readme: inputsSection(f.readme) }
  const table = Object.fromEntries([...f.checksums.matchAll(/'([^']+)':\s*'([^']*)'/g)].map((m) => [m[1], m[2]]))
  const wanted = []
  const tools = [['cosign', 'DEFAULT_COSIGN_VERSION', 'supplyChain'], ['syft', 'DEFAULT_SYFT_VERSION', 'supplyChain'], ['trivy', 'DEFAULT_TRIVY_VERSION', 'vulnerability']]
  const files = { supplyChain: 'src/inputs/supply-chain.ts', vulnerability: 'src/inputs/vulnerability.ts' }
  for (const [tool, constName, source] of tools) {
    const input = `${tool}-version`
    const code = constant(f[source], constName)
    if (!code) {
      problems.push(`${files[source]} has no ${constName}`)
      continue
    }
    const yml = f.action.inputs?.[input]?.default
    if (yml !== code) problems.push(`action.yml's default for ${input} is ${yml ?? '(none)'}, the code's ${constName} is ${code}`)
    const row = new RegExp(`\\|\\s*\`${input}\`\\s*\\|\\s*\`([^\`]+)\``).exec(f.readme)?.[1]
    if (row !== code) problems.push(`README.md gives ${row ?? 'no default'} for ${input}, the code's ${constName} is ${code}`)
    for (const asset of expectedAssets(tool, code)) {
      wanted.push(asset)
      if (!(asset in table)) problems.push(`src/tools/checksums.ts has no sha256 for ${asset} (the default ${input} ${code})`)
      else if (!HEX64.test(table[asset])) problems.push(`src/tools/checksums.ts: the sha256 of ${asset} is not 64 hex digits`)
    }
  }
  for (const asset of Object.keys(table)) if (!wanted.includes(asset)) problems.push(`src/tools/checksums.ts pins ${asset}, which is not a default version's asset`)

  problems.push(...buildkitProblems(f))
  problems.push(...readmeDefaultProblems(f.action, f.readme))

  const builders = Object.entries(f.templates).map(([name, text]) => [name, /^ARG BUILDER_IMAGE=(\S+)$/m.exec(text)?.[1]])
  for (const [name, image] of builders) {
    if (!image) problems.push(`dockerfiles/${name} has no ARG BUILDER_IMAGE default`)
    else if (!/^[^@\s]+:[^@\s]+@sha256:[a-f0-9]{64}$/.test(image)) problems.push(`dockerfiles/${name}: BUILDER_IMAGE ${image} is not pinned as NAME:TAG@sha256:DIGEST`)
  }
  const images = new Set(builders.map(([, image]) => image).filter(Boolean))
  if (images.size > 1) problems.push(`the templates' BUILDER_IMAGE defaults differ: ${[...images].join(', ')}`)
  for (const image of images) {
    const [tag, digest] = image.split('@sha256:')
    if (!digest) continue
    if (!f.templatesReadme.includes(tag) || !f.templatesReadme.includes(digest.slice(0, 8))) problems.push(`dockerfiles/README.md does not name the templates' builder ${tag}@sha256:${digest.slice(0, 8)}…`)
  }
  return problems
}

/** buildkit-image's default: pinned NAME:TAG@sha256:DIGEST, the same in the code, action.yml and the README, and the confirmed pin. */
function buildkitProblems(f) {
  const problems = []
  const code = constant(f.builder, 'DEFAULT_BUILDKIT_IMAGE')
  if (!code) return ['src/inputs/builder.ts has no DEFAULT_BUILDKIT_IMAGE']
  const m = /^(?:docker\.io\/)?moby\/buildkit:([^@\s]+)@(sha256:[a-f0-9]{64})$/.exec(code)
  if (!m) problems.push(`DEFAULT_BUILDKIT_IMAGE ${code} is not pinned as moby/buildkit:TAG@sha256:DIGEST`)
  else if (m[1] !== BUILDKIT_PIN.tag || m[2] !== BUILDKIT_PIN.digest) problems.push(`DEFAULT_BUILDKIT_IMAGE ${code} is not the confirmed pin moby/buildkit:${BUILDKIT_PIN.tag}@${BUILDKIT_PIN.digest} (scripts/defaults-check.mjs BUILDKIT_PIN)`)
  const yml = f.action.inputs?.['buildkit-image']?.default
  if (yml !== code) problems.push(`action.yml's default for buildkit-image is ${yml ?? '(none)'}, the code's DEFAULT_BUILDKIT_IMAGE is ${code}`)
  const row = /\|\s*`buildkit-image`\s*\|\s*`([^`]+)`\s*\|([^\n]*)/.exec(f.readme)
  const [tag, digest = ''] = code.split('@sha256:')
  const short = `${digest.slice(0, 4)}…${digest.slice(-4)}`
  if (!row || row[1] !== `${tag}@sha256:${short}`) problems.push(`README.md gives ${row?.[1] ?? 'no default'} for buildkit-image, the code's DEFAULT_BUILDKIT_IMAGE is ${tag}@sha256:${short}`)
  else if (!row[2].includes(`sha256:${digest}`)) problems.push(`README.md's buildkit-image row does not name the whole digest sha256:${digest}`)
  return problems
}

/**
 * Every input's default, as action.yml declares it (what the runner passes when the input is left
 * out, and what the Marketplace shows) and as the README's input table states it, must agree:
 * - a row's default cell starts with the default in backticks (a list default: each line in
 *   backticks, comma-separated); words after it explain it (`auto` (`true`; …));
 * - an empty cell, or one that starts with "required", means action.yml declares no default (or '');
 * - a pinned image may be shortened in the README as `NAME:TAG@sha256:abcd…wxyz`.
 * @param {{ inputs?: Record<string, { default?: unknown }> }} action
 * @param {string} readme
 */
export function readmeDefaultProblems(action, readme) {
  const problems = []
  readme = inputsSection(readme)
  for (const [name, spec] of Object.entries(action.inputs ?? {})) {
    const row = new RegExp(`^\\|\\s*\`${name}\`\\s*\\|([^|\\n]*)\\|`, 'm').exec(readme)
    if (!row) continue // a missing row is reported by validate-action itself
    const cell = row[1].trim()
    const declared = spec.default === undefined ? '' : String(spec.default).trim()
    const stated = /^((?:`[^`]+`)(?:,\s*`[^`]+`)*)/.exec(cell)?.[1]
    if (!stated) {
      if (declared) problems.push(`README.md states no default for input \`${name}\` ("${cell}"), action.yml declares ${JSON.stringify(declared)}: write \`${declared.split('\n')[0]}\` first in its default cell, or drop the default from action.yml`)
      else if (cell && !/^required\b/.test(cell)) problems.push(`README.md's default cell for input \`${name}\` ("${cell}") does not start with a value in backticks, and action.yml declares none: empty the cell, or declare the default in action.yml`)
      continue
    }
    const values = [...stated.matchAll(/`([^`]+)`/g)].map((m) => m[1])
    const lines = declared.split('\n').map((l) => l.trim()).filter(Boolean)
    const same = values.length === lines.length && values.every((v, i) => agrees(v, lines[i]))
    if (!declared) problems.push(`README.md states the default ${values.map((v) => `\`${v}\``).join(', ')} for input \`${name}\`, which action.yml does not declare: add \`default: ${values.join('\\n')}\` to action.yml (and make the code read it as the input left out), or empty the README's cell`)
    else if (!same) problems.push(`README.md states the default ${values.map((v) => `\`${v}\``).join(', ')} for input \`${name}\`, action.yml declares ${JSON.stringify(declared)}`)
  }
  return problems
}

/** The README's value for a default: equal, or a pinned digest shortened to its first and last four hex digits. */
function agrees(stated, declared) {
  if (stated === declared) return true
  const short = /^(.*@sha256:)([a-f0-9]{4})…([a-f0-9]{4})$/.exec(stated)
  return Boolean(short && declared.startsWith(short[1] + short[2]) && declared.endsWith(short[3]) && /@sha256:[a-f0-9]{64}$/.test(declared))
}

/**
 * The README's `## Inputs` section (up to the next `## ` heading), where each input has its row.
 * @param {string} readme
 */
export function inputsSection(readme) {
  const start = readme.search(/^## Inputs$/m)
  if (start < 0) return ''
  const next = readme.slice(start + 1).search(/^## /m)
  return next < 0 ? readme.slice(start) : readme.slice(start, start + 1 + next)
}
