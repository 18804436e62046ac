import type { Database } from '../cloud'

export const USERS = 'users'

export interface Identity {
  openid: string
  appid?: string
  unionid?: string
}

/**
 * Records a login in the `users` collection, keyed by openid: the first one
 * creates the document (first seen), every one moves `lastLoginAt` and counts.
 * An update first, then an insert that may lose a race to a concurrent first
 * login, and so an update again: no read, no lost write.
 */
export async function recordLogin(db: Database, identity: Identity): Promise<void> {
  const _ = db.command
  const now = db.serverDate()
  const changes: Record<string, unknown> = { lastLoginAt: now, logins: _.inc(1) }
  if (identity.unionid) changes.unionid = identity.unionid
  const users = db.collection(USERS)
  const updated = await users.doc(identity.openid).update({ data: changes })
  if (updated.stats.updated === 1) return
  try {
    await users.add({
      data: {
        _id: identity.openid,
        appid: identity.appid ?? null,
        ...(identity.unionid ? { unionid: identity.unionid } : {}),
        firstSeenAt: now,
        lastLoginAt: now,
        logins: 1,
      },
    })
  } catch (error) {
    // Another first login of the same user inserted it meanwhile.
    const again = await users.doc(identity.openid).update({ data: changes })
    if (again.stats.updated !== 1) throw error
  }
}
