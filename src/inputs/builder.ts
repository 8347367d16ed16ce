/** The builder slice: a remote BuildKit (`builder-endpoint`, `builder-tls-*`), the BuildKit and QEMU images. */
import { InputError } from '../lib/errors.js'
import type { Pem } from '../lib/pem.js'
import { parsePem } from '../lib/pem.js'
import { isImageRef } from '../tags/refs.js'
import type { InputReader } from './values.js'
import { insideWorkspace } from './values.js'

// Pinned like every other default: a floating tag would let whoever moves it run the release's build.
export const DEFAULT_BUILDKIT_IMAGE = 'docker.io/moby/buildkit:v0.26.2@sha256:de10faf919fc71ba4eb1dd7bd6449566d012b0c9436b1c61bfee21d621b009aa'
export const DEFAULT_QEMU_IMAGE = 'docker.io/tonistiigi/binfmt:qemu-v10.2.3@sha256:400a4873b838d1b89194d982c45e5fb3cda4593fbfd7e08a02e76b03b21166f0'

export interface BuilderInputs {
  /** `tcp://host:port` (or unix://, ssh://) for buildx's remote driver, or `kubernetes[:opt=v,…]`, with its TLS files. */
  builderEndpoint?: { endpoint: string; tls: { ca?: Pem; cert?: Pem; key?: Pem } }
  /** The BuildKit image of a docker-container builder the action creates. */
  buildkitImage: string
  /**
   * `buildkitd-config` (a file in the workspace) or `buildkitd-config-inline` (its content): the
   * buildkitd.toml of the builder the action creates, e.g. a registry's private CA.
   */
  buildkitdConfig?: { file: string } | { inline: string }
  qemuImage: string
}

export function parseBuilderInputs(read: InputReader, workspace: string): BuilderInputs {
  const endpoint = read('builder-endpoint').trim()
  if (endpoint && !/^(tcp|unix|ssh|docker-container|kube-pod):\/\/\S+$|^kubernetes(:\S+)?$/.test(endpoint)) {
    throw new InputError('builder-endpoint', `"${endpoint}" is neither a BuildKit address (tcp://host:port, unix://, ssh://) nor kubernetes[:driver options]`)
  }
  const ca = parsePem('builder-tls-ca', read('builder-tls-ca'), workspace)
  const cert = parsePem('builder-tls-cert', read('builder-tls-cert'), workspace)
  const key = parsePem('builder-tls-key', read('builder-tls-key'), workspace)
  if (!endpoint && (ca || cert || key)) throw new InputError('builder-endpoint', 'is empty, but builder-tls-* are given: they are for a remote BuildKit at builder-endpoint')
  const buildkitImage = read('buildkit-image').trim() || DEFAULT_BUILDKIT_IMAGE
  if (!isImageRef(buildkitImage)) {
    throw new InputError('buildkit-image', `"${buildkitImage}" is not an image reference such as moby/buildkit:v0.26.2 or mirror.example.com/moby/buildkit@sha256:…`)
  }
  return {
    builderEndpoint: endpoint ? { endpoint, tls: { ca, cert, key } } : undefined,
    buildkitImage,
    buildkitdConfig: parseBuildkitdConfig(read, workspace, Boolean(endpoint)),
    qemuImage: read('qemu-image').trim() || DEFAULT_QEMU_IMAGE
  }
}

/** setup-buildx-action's two inputs for the same file; a remote BuildKit is configured where it runs. */
function parseBuildkitdConfig(read: InputReader, workspace: string, remote: boolean): BuilderInputs['buildkitdConfig'] {
  const file = read('buildkitd-config').trim()
  const inline = read('buildkitd-config-inline')
  if (!file && !inline.trim()) return undefined
  const name = file ? 'buildkitd-config' : 'buildkitd-config-inline'
  if (file && inline.trim()) throw new InputError('buildkitd-config', 'and buildkitd-config-inline are both set: give the configuration one way')
  if (remote) throw new InputError(name, 'configures a builder the action creates, but builder-endpoint names a remote BuildKit: set its configuration (e.g. a registry CA) where that buildkitd runs')
  return file ? { file: insideWorkspace('buildkitd-config', file, workspace, workspace, 'file') } : { inline }
}
