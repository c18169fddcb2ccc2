import type { Settings } from '../settings.js'
import type { HiveKey, Permission, Scope } from '../hive/types.js'

/** What a rotation will do, decided in the preflight: what `dry-run` prints. Never a value. */
export function describePlan(
  s: Settings,
  oldKey: HiveKey,
  permission: Permission,
  scope: Scope
): string[] {
  const admin = s.separateAdminKey ? 'hive-admin-key' : 'the current key itself'
  return [
    `Create a key named "${s.keyName} <UTC timestamp>" with ${admin}: ${permission}, ` +
      `${describeScope(scope)}, expiring in ${s.expiresInDays} day(s).`,
    `Test it: GET ${s.verifyPath} on ${s.hiveUrl}, retrying 401 for up to ` +
      `${s.verifyTimeoutSeconds} s, then confirm its permission and scope.`,
    `Write ${s.secretName} to ${s.destinations.length} destination(s): ` +
      s.destinations.map(d => d.label).join(', ') +
      '.',
    s.revokeOld
      ? `Revoke the current key ${oldKey.id} (${oldKey.prefix}…) and confirm it answers 401.`
      : `Keep the current key ${oldKey.id} (${oldKey.prefix}…) (revoke-old: false).`
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
