/**
 * The one registry client: `docker buildx imagetools` inspect (raw, or one JSON field) and create.
 * Every manifest read and index write of the action goes through here, with one retry rule.
 */
import { createHash } from 'node:crypto'
import { run } from '../lib/exec.js'
import type { ImageConfig, Pushed, RawManifest } from './manifest.js'
import { isIndex, parsePushed, platformDigests } from './manifest.js'
import { platformId } from '../build/platform.js'
import type { RetryOptions } from '../lib/retry.js'
import { withRetry } from '../lib/retry.js'

export interface ReadOptions {
  /**
   * The reference was just pushed or created: "not found" is the registry catching up (or a reset
   * connection the resolver reported as such), not an answer, so it is retried.
   */
  justPushed?: boolean
}

/** The fields of `imagetools inspect --format '{{json …}}'` the action reads. */
export type InspectField = '.' | '.Manifest' | '.Image'

/** `imagetools inspect`: `--raw` without a field, else one field as JSON. */
export function inspectArgv(ref: string, field?: InspectField): string[] {
  return ['buildx', 'imagetools', 'inspect', ...(field ? [ref, '--format', `{{json ${field}}}`] : ['--raw', ref])]
}

export interface CreateSpec {
  /** Full references `NAME:TAG`, or `NAME@DIGEST` to push by digest with no tag. */
  tags: string[]
  /** Annotations of the new index. */
  indexAnnotations?: Array<[string, string]>
  /** `NAME@DIGEST` references: their manifests (or an index's) make up the new index. */
  sources: string[]
  /**
   * One source written as it is (a lone manifest too, which buildx would otherwise wrap in a new
   * index with another digest): a tag or a copy then names exactly the digest that was checked.
   */
  carbonCopy?: boolean
  /** Print the index instead of pushing it. */
  dryRun?: boolean
}

export function imagetoolsCreateArgv(s: CreateSpec): string[] {
  return [
    'buildx', 'imagetools', 'create',
    ...(s.carbonCopy ? ['--prefer-index=false'] : []),
    ...(s.dryRun ? ['--dry-run'] : []),
    ...s.tags.flatMap((t) => ['--tag', t]),
    ...(s.indexAnnotations ?? []).flatMap(([k, v]) => ['--annotation', `index:${k}=${v}`]),
    ...s.sources
  ]
}

export class ImageTools {
  constructor(
    private readonly env: Record<string, string>,
    /** Retry timing; tests shorten it. */
    private readonly retry: Pick<RetryOptions, 'sleep' | 'baseDelayMs' | 'attempts'> = {}
  ) {}

  private async inspect(ref: string, field: InspectField | undefined, o: ReadOptions): Promise<string> {
    const { stdout } = await withRetry(() => run('docker', inspectArgv(ref, field), { env: this.env, silent: true }), {
      ...this.retry,
      what: `reading ${ref}`,
      alsoRetry: o.justPushed ? /not found/i : undefined
    })
    return stdout
  }

  /** The manifest or index exactly as the registry holds it. */
  async raw(ref: string, o: ReadOptions = {}): Promise<RawManifest> {
    return JSON.parse(await this.inspect(ref, undefined, o)) as RawManifest
  }

  /** One platform's image config. */
  async config(ref: string, o: ReadOptions = {}): Promise<ImageConfig> {
    return JSON.parse(await this.inspect(ref, '.Image', o)) as ImageConfig
  }

  /** The digest a tag or reference resolves to. */
  async digest(ref: string, o: ReadOptions = {}): Promise<string> {
    return (JSON.parse(await this.inspect(ref, '.Manifest', o)) as { digest: string }).digest
  }

  /**
   * A just-pushed image read once: its platform digests and every platform's config (one call for
   * an index). Refuses an index that lacks a platform that was built.
   */
  async pushed(name: string, digest: string, platforms: string[]): Promise<Required<Pushed>> {
    const ref = `${name}@${digest}`
    return parsePushed(await this.inspect(ref, '.', { justPushed: true }), ref, platforms)
  }

  /** Any pushed digest: an index lists its platforms, a lone manifest's config names its one. */
  async platformsOf(name: string, digest: string): Promise<Pushed> {
    const ref = `${name}@${digest}`
    const manifest = JSON.parse(await this.inspect(ref, '.Manifest', {})) as RawManifest
    if (isIndex(manifest)) return { digest, platforms: platformDigests(manifest) }
    const image = JSON.parse(await this.inspect(ref, '.Image', {})) as { os?: string; architecture?: string; variant?: string }
    return { digest, platforms: { [platformId(image.os ?? '', image.architecture ?? '', image.variant ?? '')]: digest } }
  }

  /** What a tag points at now, or undefined when it cannot be read (absent, or no access). */
  async find(ref: string): Promise<Pushed | undefined> {
    const r = await run('docker', inspectArgv(ref, '.Manifest'), { env: this.env, silent: true, allowFailure: true })
    if (r.exitCode !== 0) return undefined
    const m = JSON.parse(r.stdout) as RawManifest & { digest: string }
    return { digest: m.digest, platforms: isIndex(m) ? platformDigests(m) : {} }
  }

  /** Writes an index (tags, annotations) from the sources; copying one index keeps its digest. */
  /** `alsoRetry`: failures besides the transient ones that a second attempt settles. */
  async create(spec: CreateSpec, what: string, alsoRetry?: RegExp): Promise<void> {
    await withRetry(() => run('docker', imagetoolsCreateArgv(spec), { env: this.env }), { ...this.retry, what, alsoRetry })
  }

  /**
   * Merges the sources into a new index pushed to `name` by digest, with no tag: buildx prints the
   * index it would push (`--dry-run`), its sha256 is the digest, and `--tag NAME@DIGEST` makes buildx
   * PUT it under that digest (the registry refuses bytes of another digest). Returns the digest.
   */
  async createByDigest(name: string, spec: Omit<CreateSpec, 'tags' | 'dryRun'>, what: string): Promise<string> {
    const { stdout } = await withRetry(() => run('docker', imagetoolsCreateArgv({ ...spec, tags: [], dryRun: true }), { env: this.env, silent: true }), { ...this.retry, what: `${what} (dry run)` })
    // buildx prints the index's bytes and one newline.
    const digest = `sha256:${createHash('sha256').update(stdout.replace(/\n$/, '')).digest('hex')}`
    await this.create({ ...spec, tags: [`${name}@${digest}`] }, what)
    return digest
  }

  /**
   * The version an existing tag's image records (its `org.opencontainers.image.version` label), or
   * undefined when the tag does not exist. Any other failure to read it throws: a floating tag whose
   * target cannot be read is not moved blind.
   */
  async versionAt(ref: string): Promise<{ exists: boolean; version?: string }> {
    const r = await withRetry(() => run('docker', inspectArgv(ref, '.Image'), { env: this.env, silent: true, allowFailure: true }).then((res) => {
      if (res.exitCode !== 0 && !/not found|manifest unknown|name unknown/i.test(res.stderr)) throw new Error(`reading ${ref}: ${res.stderr.trim().split('\n').pop() ?? ''}`)
      return res
    }), { ...this.retry, what: `reading ${ref}` })
    if (r.exitCode !== 0) return { exists: false }
    const image = JSON.parse(r.stdout) as ImageConfig | Record<string, ImageConfig>
    // One config for a lone manifest (or a one-platform index), else one per platform: all carry the same labels.
    const configs: ImageConfig[] = 'config' in image || 'architecture' in image ? [image] : Object.values(image as Record<string, ImageConfig>)
    const version = configs.map((c) => c.config?.Labels?.['org.opencontainers.image.version']).find((v) => v)
    return { exists: true, version }
  }
}
