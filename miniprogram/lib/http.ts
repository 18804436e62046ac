/**
 * The functions over CloudBase HTTP access: `wx.request` with a session. A
 * session comes from a code login (`wx.login`, then `login` with the code)
 * and is kept in storage; when a function answers 401 (the session expired
 * or no longer holds), it logs in again and asks once more.
 */
const SESSION = 'session'

interface Answer {
  statusCode: number
  data: unknown
}

type Reply = { ok: true } & Record<string, unknown>
type Failure = { ok: false; code: string; message: string }

function post(base: string, name: string, data: Record<string, unknown>, session?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    wx.request({
      url: `${base}/${name}`,
      method: 'POST',
      data,
      header: { 'content-type': 'application/json', ...(session ? { authorization: `Bearer ${session}` } : {}) },
      success: (res) => resolve({ statusCode: res.statusCode, data: res.data }),
      fail: reject,
    })
  })
}

/** A function's reply, or a failure as callFunction's would be: the request did not reach it, or the platform answered instead. */
function replyOf(answer: Answer): Reply | Failure {
  const data = answer.data as { ok?: unknown } | null
  if (data !== null && typeof data === 'object' && typeof data.ok === 'boolean') return data as Reply | Failure
  throw { errMsg: `request:fail HTTP ${answer.statusCode}` }
}

const code = (): Promise<string> =>
  new Promise((resolve, reject) => {
    wx.login({ success: (res) => resolve(res.code), fail: reject })
  })

/** A code login: a new session kept in storage, and `login`'s reply. */
export async function logIn(base: string): Promise<Reply | Failure> {
  const reply = replyOf(await post(base, 'login', { code: await code() }))
  if (reply.ok) wx.setStorageSync(SESSION, reply.session)
  return reply
}

/**
 * Calls a function as the session's user. Without a session that holds, the
 * call never reached the function, so it fails as a lost callFunction does
 * (thrown), never as the function's refusal: a report kept for sending again
 * (lib/reports.ts) must not be dropped for want of a login.
 */
export async function callOverHttp(base: string, name: string, data: Record<string, unknown>): Promise<Reply | Failure> {
  for (let attempt = 0; ; attempt++) {
    let session = wx.getStorageSync(SESSION) as string
    if (!session) {
      const login = await logIn(base)
      if (!login.ok) throw { errMsg: `login:fail ${login.code}` }
      session = login.session as string
    }
    const answer = await post(base, name, data, session)
    if (answer.statusCode !== 401) return replyOf(answer)
    // Expired, or signed with a key since changed: forget it, log in again, and ask once more.
    wx.removeStorageSync(SESSION)
    if (attempt > 0) throw { errMsg: `request:fail HTTP 401 after a new login` }
  }
}
