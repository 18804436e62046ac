import { database } from '../../src/cloud'
import { door } from '../../src/door'
import { recordLogin } from '../../src/users/users'

/** Who the caller is, from the platform's context: no code2Session, no AppSecret. */
export const main = door({ name: 'login', allow: ['user'] }, async (caller) => {
  await recordLogin(database(), { openid: caller.openid, appid: caller.appid, unionid: caller.unionid })
  return {
    ok: true,
    openid: caller.openid,
    appid: caller.appid,
    ...(caller.unionid ? { unionid: caller.unionid } : {}),
  }
})
