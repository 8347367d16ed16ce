// Types for the stand-in's exports, for its contract tests (__tests__/e2e/support/sigstore-standin.test.ts).
import type { KeyObject } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'

export interface Reply {
  status: number
  headers: Record<string, string>
  body: string
}
export type Handler = (req: { method: string; headers: IncomingHttpHeaders }, url: URL, body: Buffer) => Promise<Reply>

export interface Standin {
  handlers: { oidc: Handler; fulcio: Handler; rekor: Handler }
  respond: (name: 'oidc' | 'fulcio' | 'rekor', req: { method: string; headers: IncomingHttpHeaders }, url: URL, body: Buffer) => Promise<Reply>
  urls: { oidc?: string; fulcio?: string; rekor?: string }
  pems: () => Record<'fulcio.pem' | 'rekor.pub' | 'ctlog.pub', string>
  stats: { tokens: number; certificates: number; rejected: string[] }
  mint: (claims: Record<string, unknown>, audience: string, issuer?: string) => Promise<string>
  rekorPublicKey: KeyObject
  ctPublicKey: KeyObject
  caRoot: Buffer
}

export const GITHUB_ISSUER: string
export function leafHash(data: Buffer): Buffer
export function createStandin(opts?: { host?: string; now?: () => Date }): Promise<Standin>
