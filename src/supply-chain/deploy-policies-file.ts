/** The deploy policies written where the workflow can pick them up (output `deploy-policies`). */
import * as fs from 'node:fs'
import * as path from 'node:path'
import type { SupplyChainResult } from './chain.js'
import { deployPoliciesYaml, policyControllerGap } from './deploy-policies.js'

/**
 * The file's path, or undefined (with a note saying why) when the signer cannot be written into a
 * policy. A note also names what the policies cannot require: an attestation only the platform
 * digests carry (a Pod that names the tag is checked on the index's digest), and a
 * policy-controller policy for a key-signed cosign 3 release.
 */
export function writeDeployPolicies(result: Pick<SupplyChainResult, 'identity' | 'attested' | 'attestedToAll'>, o: { name: string; transparencyLog: boolean; rekorUrl?: string; privateSigstore?: boolean; cosignMajor: number; workDir: string }, notes: string[]): string | undefined {
  const id = result.identity
  if (!id) return undefined
  let signer: Parameters<typeof deployPoliciesYaml>[0]['signer']
  if (id.kind === 'keyless') signer = id
  else if (fs.existsSync(id.publicKey)) signer = { kind: 'key', pem: fs.readFileSync(id.publicKey, 'utf8') }
  else {
    notes.push(`deploy-policies: not written: the signing key is a KMS reference (${id.publicKey}), whose public key the policies would have to carry`)
    return undefined
  }
  const attested = result.attestedToAll ?? result.attested ?? []
  const spec = { name: o.name, signer, attested, transparencyLog: o.transparencyLog, rekorUrl: o.rekorUrl, signatureFormat: o.cosignMajor >= 3 ? ('bundle' as const) : ('legacy' as const) }
  const platformsOnly = (result.attested ?? []).filter((t) => !attested.includes(t))
  if (platformsOnly.length) notes.push(`deploy-policies: ${platformsOnly.join(', ')} ${platformsOnly.length > 1 ? 'are' : 'is'} attested to each platform's digest, not to the index a tag names, so the policies do not require ${platformsOnly.length > 1 ? 'them' : 'it'} (admission checks the digest the Pod names)`)
  const gap = policyControllerGap(spec)
  if (gap) notes.push(`deploy-policies: ${gap}`)
  else if (signer.kind === 'keyless' && o.privateSigstore) notes.push("deploy-policies: the ClusterImagePolicies name no trustRootRef, so policy-controller judges them by the public Sigstore's roots: for this private instance (sigstore-trusted-root) give it a TrustRoot (a TUF repository holding that trusted root; README, Deploy-time policies) and set keyless.trustRootRef and ctlog.trustRootRef. policy-controller v0.13.1's webhook refuses a keyless cosign 3 release through any trustRootRef (its TrustRoot reconciler rewrites the logs' IDs), so use a release with that fixed")
  const file = path.join(o.workDir, 'deploy-policies.yaml')
  fs.writeFileSync(file, deployPoliciesYaml(spec))
  return file
}
