/** The deploy policies written where the workflow can pick them up (output `deploy-policies`). */
import * as fs from 'node:fs'
import * as path from 'node:path'
import type { SupplyChainResult } from './chain.js'
import { deployPoliciesYaml } from './deploy-policies.js'

/** The file's path, or undefined (with a note saying why) when the signer cannot be written into a policy. */
export function writeDeployPolicies(result: Pick<SupplyChainResult, 'identity' | 'attested'>, o: { name: string; transparencyLog: boolean; rekorUrl?: string; workDir: string }, notes: string[]): string | undefined {
  const id = result.identity
  if (!id) return undefined
  let signer: Parameters<typeof deployPoliciesYaml>[0]['signer']
  if (id.kind === 'keyless') signer = id
  else if (fs.existsSync(id.publicKey)) signer = { kind: 'key', pem: fs.readFileSync(id.publicKey, 'utf8') }
  else {
    notes.push(`deploy-policies: not written: the signing key is a KMS reference (${id.publicKey}), whose public key the policies would have to carry`)
    return undefined
  }
  const file = path.join(o.workDir, 'deploy-policies.yaml')
  fs.writeFileSync(file, deployPoliciesYaml({ name: o.name, signer, attested: result.attested ?? [], transparencyLog: o.transparencyLog, rekorUrl: o.rekorUrl }))
  return file
}
