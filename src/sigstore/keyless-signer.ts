/** The identity keyless signatures are made with and verified against. */
import * as core from '../lib/log.js'
import type { Identity } from './cosign-argv.js'
import { keylessIdentity } from './cosign-argv.js'

/** Reads a JWT's claims without verifying it (the runner just handed it to us). */
export function jwtClaims(token: string): Record<string, unknown> {
  const payload = token.split('.')[1]
  if (!payload) throw new Error('the OIDC token is not a JWT')
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>
}

/**
 * The certificate's identity is the job's workflow file (`job_workflow_ref`), which for a
 * reusable workflow is the called one, not GITHUB_WORKFLOW_REF: so ask the token.
 */
export async function githubKeylessIdentity(serverUrl: string, workflowRef: string): Promise<Identity> {
  const token = await core.getIDToken('sigstore')
  const claims = jwtClaims(token)
  const ref = typeof claims.job_workflow_ref === 'string' ? claims.job_workflow_ref : workflowRef
  if (!ref) throw new Error('cannot tell the workflow identity: the OIDC token has no job_workflow_ref and GITHUB_WORKFLOW_REF is empty')
  return keylessIdentity(serverUrl, ref, typeof claims.repository_owner === 'string' ? claims.repository_owner : undefined)
}
