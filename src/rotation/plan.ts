import type { Settings } from '../settings.js'
import type { HiveKey, Permission, Scope } from '../hive/types.js'
import type { Leftover } from './leftovers.js'

/** What a rotation will do, decided in the preflight: what `dry-run` prints. Never a value. */
export function describePlan(
  s: Settings,
  oldKey: HiveKey | undefined,
  permission: Permission,
  scope: Scope,
  leftovers: Leftover[] = []
): string[] {
  const admin = s.separateAdminKey ? 'hive-admin-key' : 'the current key itself'
  const old = oldKey ? `${oldKey.id} (${oldKey.prefix}…)` : ''
  const retire = !oldKey
    ? 'Nothing to retire: hive-api-key is already dead.'
    : s.mode === 'emergency'
      ? `(Already revoked first.)`
      : !s.revokeOld
        ? `Keep the current key ${old} (revoke-old: false).`
        : s.oldKeyGraceMinutes > 0
          ? `Shorten the expiry of the current key ${old} to ${s.oldKeyGraceMinutes} minute(s) ` +
            'from then (old-key-grace-minutes), so Hive ends it while running jobs finish.'
          : `Revoke the current key ${old} and confirm it answers 401.`
  const prune =
    leftovers.length === 0
      ? 'No leftovers of earlier runs to prune.'
      : (s.prune ? 'Revoke' : 'Report only (prune: false)') +
        ` the leftovers of earlier runs: ${leftovers.map(l => `${l.key.id} (${l.why})`).join(', ')}.`
  return [
    ...(!oldKey
      ? [
          'RECOVER: hive-api-key is dead (Hive answers 401), so every consumer holding it is ' +
            'failing; make its successor with hive-admin-key, from the permission and scope inputs.'
        ]
      : s.mode === 'emergency'
        ? [
            `EMERGENCY: revoke the compromised current key ${old} first and confirm it answers ` +
              '401; consumers fail until the store completes.'
          ]
        : []),
    `Create a key named "${s.keyName} <UTC timestamp>${oldKey ? ` replaces ${oldKey.id}` : ''}" with ${admin}: ${permission}, ` +
      `${describeScope(scope)}, expiring in ${s.expiresInDays} day(s).`,
    `Test it: GET ${s.verifyPath} on ${s.hiveUrl}, retrying 401 for up to ` +
      `${s.verifyTimeoutSeconds} s, then confirm its permission and scope.`,
    `Write ${s.secretName} to ${s.destinations.length} destination(s): ` +
      s.destinations.map(d => d.label).join(', ') +
      '.',
    prune,
    retire
  ]
}

export function describeScope(scope: Scope): string {
  switch (scope.type) {
    case 'all':
      return 'scope all'
    case 'engagements':
      return `scope engagements:${scope.engagement_ids.join(',')}`
    case 'campaigns':
      return `scope campaigns:${scope.campaign_ids.join(',')}`
  }
}
