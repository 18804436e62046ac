import { identify } from '../../src/caller'
import { callerContext, database } from '../../src/cloud'
import { recordLogin } from '../../src/users/users'

/** Who the caller is, from the platform's context: no code2Session, no AppSecret. */
export async function main() {
  const caller = identify(callerContext())
  if (caller.kind !== 'user') {
    return { ok: false, code: 'FORBIDDEN', message: 'login is for mini-program users; this call is not a client\'s' }
  }
  await recordLogin(database(), { openid: caller.openid, appid: caller.appid, unionid: caller.unionid })
  return {
    ok: true,
    openid: caller.openid,
    appid: caller.appid,
    ...(caller.unionid ? { unionid: caller.unionid } : {}),
  }
}
