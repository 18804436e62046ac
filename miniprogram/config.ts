/**
 * How the mini-program reaches the cloud functions. Empty: `wx.cloud.callFunction`
 * (the platform vouches for the user, no login needed). A URL: CloudBase HTTP
 * access (`https://<envId>-<appid>.ap-shanghai.app.tcloudbase.com`, the
 * functions at `/login`, `/subscribe-record`, `/send`), called with
 * `wx.request` and a session from a code login; the domain must be among the
 * mini-program's request domains.
 */
export const HTTP_BASE = ''
