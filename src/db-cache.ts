/** The Actions cache (`@actions/cache`) behind the trivy DB's DbCache interface. */
import * as cache from '@actions/cache'
import type { DbCache } from './vuln-db.js'

export const actionsCache: DbCache = {
  // False off GitHub's runners (no cache service URL or token): the DB is then downloaded each run.
  available: () => cache.isFeatureAvailable(),
  restore: (paths, key) => cache.restoreCache(paths, key),
  save: async (paths, key) => {
    await cache.saveCache(paths, key)
  }
}
