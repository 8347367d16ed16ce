/**
 * govulncheck's command lines and the output the action reads from it (`-format json`, a stream
 * of messages; `-format openvex`, one OpenVEX v0.2.0 document), pinned by fixtures of the real
 * govulncheck's output. No I/O here.
 */

export const GOVULNCHECK_MODULE = 'golang.org/x/vuln'
const PACKAGE = `${GOVULNCHECK_MODULE}/cmd/govulncheck`

/** `go install` of exactly one release; GOBIN says where the binary goes. */
export function installArgv(version: string): string[] {
  return ['install', `${PACKAGE}@${version}`]
}

/**
 * The environment of that `go install`: the module is checked against the checksum database
 * (sum.golang.org unless the runner names another), whatever the job's GOFLAGS, GONOSUMDB,
 * GOPRIVATE or GOINSECURE say; CGO off and -trimpath, as a release build.
 */
export function installEnv(env: Record<string, string | undefined>, gobin: string): Record<string, string> {
  const sumdb = env.GOSUMDB && env.GOSUMDB !== 'off' ? env.GOSUMDB : 'sum.golang.org'
  return { GOBIN: gobin, CGO_ENABLED: '0', GOFLAGS: '-trimpath', GOSUMDB: sumdb, GONOSUMDB: '', GONOSUMCHECK: '', GOPRIVATE: '', GOINSECURE: '' }
}

/** Binary mode: the module list and symbol table of a compiled program, no source needed. */
export function scanArgv(db: string, format: 'json' | 'openvex', binary: string): string[] {
  return ['-mode', 'binary', '-db', db, '-format', format, binary]
}

/** The marker the Go linker writes at the start of a binary's build info (`.go.buildinfo`). */
const BUILDINFO_MAGIC = Buffer.from('\xff Go buildinf:', 'latin1')

/** Whether an executable is a Go program: only those carry the build info govulncheck reads. */
export function isGoBinary(bytes: Buffer): boolean {
  return bytes.includes(BUILDINFO_MAGIC)
}

/** One frame of a finding's trace, as govulncheck's JSON has it. */
interface Frame {
  module?: string
  version?: string
  package?: string
  function?: string
  receiver?: string
}

/** What govulncheck says about one vulnerability in one binary. */
export interface GoVuln {
  /** The Go vulnerability ID (GO-YYYY-NNNN). */
  id: string
  aliases: string[]
  module: string
  version: string
  /** `called`: a vulnerable symbol is in the binary; `imported`: its package is, not the symbol; `required`: only the module. */
  level: 'called' | 'imported' | 'required'
  /** The vulnerable symbols the database lists for this module (`pkg.Func`, `pkg.Type.Method`). */
  symbols: string[]
  /** The traces govulncheck gave for a called finding, each as `pkg.Func` frames, outermost last. */
  traces: string[][]
  fixed?: string
}

const LEVEL_RANK = { required: 0, imported: 1, called: 2 } as const

function frameText(f: Frame): string {
  const fn = f.receiver ? `${f.receiver.replace(/^\*/, '')}.${f.function ?? ''}` : (f.function ?? '')
  return fn ? `${f.package ?? f.module ?? ''}.${fn}` : (f.package ?? f.module ?? '')
}

/** Splits the JSON stream: each message is an indented object that starts with `{` on its own line. */
function messages(text: string): unknown[] {
  return text
    .split(/\n(?=\{)/)
    .map((m) => m.trim())
    .filter(Boolean)
    .map((m, i) => {
      try {
        return JSON.parse(m) as unknown
      } catch (err) {
        throw new Error(`govulncheck's JSON message ${i + 1} does not parse (${(err as Error).message})`, { cause: err })
      }
    })
}

interface OsvEntry {
  id: string
  aliases?: string[]
  affected?: Array<{ package?: { name?: string }; ecosystem_specific?: { imports?: Array<{ path?: string; symbols?: string[] }> } }>
}

/** The vulnerabilities of a `govulncheck -format json` run, at the most precise level found. */
export function vulnsOf(jsonStream: string): GoVuln[] {
  const osvs = new Map<string, OsvEntry>()
  const found = new Map<string, GoVuln>()
  let sawConfig = false
  for (const m of messages(jsonStream)) {
    const msg = m as { config?: unknown; osv?: OsvEntry; finding?: { osv?: string; fixed_version?: string; trace?: Frame[] } }
    if (msg.config) sawConfig = true
    if (msg.osv?.id) osvs.set(msg.osv.id, msg.osv)
    const f = msg.finding
    if (!f?.osv || !f.trace?.length) continue
    const top = f.trace[0] as Frame
    const level = top.function ? 'called' : top.package ? 'imported' : 'required'
    const prev = found.get(f.osv)
    if (prev && LEVEL_RANK[prev.level] > LEVEL_RANK[level]) continue
    const v: GoVuln = prev && prev.level === level ? prev : { id: f.osv, aliases: [], module: top.module ?? '', version: top.version ?? '', level, symbols: [], traces: [], ...(f.fixed_version ? { fixed: f.fixed_version } : {}) }
    if (level === 'called') v.traces.push(f.trace.map(frameText))
    found.set(f.osv, v)
  }
  if (!sawConfig) throw new Error('govulncheck -format json wrote no config message: this is not its output')
  for (const v of found.values()) {
    const osv = osvs.get(v.id)
    v.aliases = osv?.aliases ?? []
    const mine = (osv?.affected ?? []).filter((a) => a.package?.name === v.module)
    v.symbols = mine.flatMap((a) => (a.ecosystem_specific?.imports ?? []).flatMap((i) => (i.symbols ?? []).map((s) => `${i.path ?? ''}.${s}`)))
  }
  return [...found.values()].sort((a, b) => a.id.localeCompare(b.id))
}

/** A statement of an OpenVEX v0.2.0 document, the fields the action reads and writes. */
export interface VexStatement {
  vulnerability: { '@id'?: string; name: string; description?: string; aliases?: string[] }
  products: Array<{ '@id': string; subcomponents?: Array<{ '@id': string }> }>
  status: string
  justification?: string
  impact_statement?: string
  action_statement?: string
}

export interface VexDocument {
  '@context': string
  '@id': string
  author: string
  timestamp: string
  version: number
  tooling?: string
  statements: VexStatement[]
}

/** A `govulncheck -format openvex` document; throws on anything else. */
export function parseVex(text: string): VexDocument {
  let doc: Partial<VexDocument>
  try {
    doc = JSON.parse(text) as Partial<VexDocument>
  } catch (err) {
    throw new Error(`govulncheck's OpenVEX does not parse (${(err as Error).message})`, { cause: err })
  }
  if (typeof doc['@context'] !== 'string' || !doc['@context'].startsWith('https://openvex.dev/ns/')) throw new Error('govulncheck wrote no OpenVEX document (no openvex @context)')
  if (doc.statements !== undefined && doc.statements !== null && !Array.isArray(doc.statements)) throw new Error("govulncheck's OpenVEX statements are not a list")
  return { ...(doc as VexDocument), statements: doc.statements ?? [] }
}

/** `pkg:golang/example.com%2Fm@v1` (govulncheck escapes the path as one segment) as trivy writes it: `pkg:golang/example.com/m@v1`. */
export function goPurl(purl: string): string {
  const m = /^pkg:golang\/([^@?#]+)(@[^?#]+)?/.exec(purl)
  if (!m) return purl
  return `pkg:golang/${decodeURIComponent(m[1] ?? '')}${m[2] ?? ''}`
}

/**
 * govulncheck names no product (its `Unknown Product`, with the modules as subcomponents). trivy
 * matches a statement's product against the packages it found, by purl, so each module, as trivy
 * spells its purl, becomes the product; the attestation's subject, the platform digest, says
 * which image the document is about. The author says who judged it.
 */
export function vexForImage(doc: VexDocument, o: { author: string; ref: string }): VexDocument {
  return {
    ...doc,
    author: o.author,
    statements: doc.statements.map((s) => {
      const modules = s.products.flatMap((p) => p.subcomponents ?? [])
      const products = modules.length ? modules.map((c) => ({ '@id': goPurl(c['@id']) })) : s.products
      return { ...s, products, ...(s.status === 'affected' && !s.action_statement ? { action_statement: `Update the module: ${o.ref} calls the vulnerable code` } : {}) }
    })
  }
}

/** A trivy finding's vulnerability as a VEX statement names it: the Go ID, or a CVE/GHSA among its aliases. */
export function statementFor(vulns: readonly GoVuln[], findingId: string, pkg: string): GoVuln | undefined {
  return vulns.find((v) => v.module === pkg && (v.id === findingId || v.aliases.includes(findingId)))
}

/** The evidence line for the summary and the refusal. */
export function evidence(v: GoVuln): string {
  const id = `${v.id}${v.aliases.length ? ` (${v.aliases.join(', ')})` : ''}`
  const syms = v.symbols.length ? v.symbols.join(', ') : 'the vulnerable code'
  if (v.level === 'called') return `govulncheck ${id}: ${v.module}@${v.version} is called: ${v.traces.map((t) => t.join(' → ')).join('; ') || syms}`
  if (v.level === 'imported') return `govulncheck ${id}: ${v.module}@${v.version} is linked, but none of its vulnerable symbols (${syms}) is in the binary`
  return `govulncheck ${id}: ${v.module}@${v.version} is in the build info, but none of its vulnerable packages is linked (${syms})`
}
