#!/usr/bin/env node
// STAND-IN FOR SYFT, for the end-to-end suite only. syft cannot be had on these machines (it is
// in no Debian suite and no npm package), so this program honours the slice of syft's CLI the
// action uses, and nothing more:
//   syft version
//   syft scan --from registry NAME@DIGEST --platform OS/ARCH[/VARIANT] -o cyclonedx-json=FILE [-q]
// It reads the image from the registry with the docker config in DOCKER_CONFIG (as syft does),
// picks the platform's manifest from an index as syft does, and writes a valid CycloneDX 1.6
// document whose metadata.component is the scanned image (name, manifest digest) and whose
// components are its layers. It is not syft and catalogs no packages.
import { execFileSync } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { writeFileSync } from 'node:fs'

const VERSION = process.env.BDI_SYFT_STANDIN_VERSION || '1.0.0-standin'
const args = process.argv.slice(2)
const fail = (msg) => {
  process.stderr.write(`syft (e2e stand-in): ${msg}\n`)
  process.exit(1)
}

if (args[0] === 'version') {
  process.stdout.write(`Application:   syft (e2e stand-in)\nVersion:       ${VERSION}\n`)
  process.exit(0)
}
if (args[0] !== 'scan') fail(`unsupported command ${JSON.stringify(args[0])}: the stand-in knows only "scan" and "version"`)

let source = ''
let from = ''
let platform = ''
const outputs = []
for (let i = 1; i < args.length; i++) {
  const a = args[i]
  if (a === '--from') from = args[++i]
  else if (a === '--platform') platform = args[++i]
  else if (a === '-o' || a === '--output') outputs.push(args[++i])
  else if (a === '-q' || a === '--quiet') continue
  else if (a.startsWith('-')) fail(`unsupported flag ${a}`)
  else if (!source) source = a
  else fail(`unexpected argument ${a}`)
}
if (from !== 'registry') fail('the stand-in scans only with --from registry')
if (!source) fail('no image given')
const out = outputs.find((o) => o.startsWith('cyclonedx-json='))
if (!out) fail('the stand-in writes only -o cyclonedx-json=FILE')
const file = out.slice('cyclonedx-json='.length)

const docker = (a) => execFileSync('docker', a, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
const name = source.split('@')[0]
let raw
try {
  raw = JSON.parse(docker(['buildx', 'imagetools', 'inspect', '--raw', source]))
} catch (err) {
  fail(`could not read ${source} from the registry: ${String(err.stderr || err.message).trim()}`)
}
let manifestDigest = source.split('@')[1]
let manifest = raw
// Like syft: with an index, the platform selects the manifest (default linux/amd64).
if (Array.isArray(raw.manifests)) {
  const [os, arch, variant] = (platform || 'linux/amd64').split('/')
  const entry = raw.manifests.find((m) => m.platform && m.platform.os === os && m.platform.architecture === arch && (!variant || m.platform.variant === variant))
  if (!entry) fail(`no manifest for platform ${platform || 'linux/amd64'} in ${source}`)
  manifestDigest = entry.digest
  manifest = JSON.parse(docker(['buildx', 'imagetools', 'inspect', '--raw', `${name}@${manifestDigest}`]))
}
const config = JSON.parse(docker(['buildx', 'imagetools', 'inspect', `${name}@${manifestDigest}`, '--format', '{{json .Image}}']))
if (platform) {
  const [os, arch] = platform.split('/')
  if (config.os !== os || config.architecture !== arch) fail(`image platform ${config.os}/${config.architecture} does not match --platform ${platform}`)
}

const bom = {
  $schema: 'http://cyclonedx.org/schema/bom-1.6.schema.json',
  bomFormat: 'CycloneDX',
  specVersion: '1.6',
  serialNumber: `urn:uuid:${randomUUID()}`,
  version: 1,
  metadata: {
    timestamp: new Date().toISOString(),
    tools: { components: [{ type: 'application', author: 'anchore', name: 'syft', version: `${VERSION} (e2e stand-in)` }] },
    component: { 'bom-ref': manifestDigest, type: 'container', name, version: manifestDigest },
    properties: [
      { name: 'bdi:e2e:stand-in', value: 'true' },
      { name: 'syft:image:platform', value: `${config.os}/${config.architecture}${config.variant ? `/${config.variant}` : ''}` }
    ]
  },
  components: (manifest.layers || []).map((l) => ({
    'bom-ref': l.digest,
    type: 'file',
    name: l.digest,
    hashes: [{ alg: 'SHA-256', content: l.digest.replace(/^sha256:/, '') }]
  }))
}
writeFileSync(file, JSON.stringify(bom, null, 2) + '\n')
