/**
 * Where a project keeps its functions and its mini-program, its AppID and env id.
 * A WeChat DevTools project says so in `project.config.json`; a project made
 * with the CloudBase CLI has only `cloudbaserc.json` (`functionRoot`), and a
 * repository of functions may have neither. Without project.config.json the
 * tools' conventions are assumed, and each assumption is said once at start.
 */
import { existsSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'

/** The AppID when no project.config.json gives one: shaped like an AppID, and plainly not a real one. */
export const PLACEHOLDER_APPID = 'wx0000000000000000'
/** Where DevTools and the CLI's templates put the functions when nothing says otherwise. */
const FUNCTIONS_CONVENTION = 'cloudfunctions'
const MINIPROGRAM_CONVENTION = 'miniprogram'
/** The env id when neither --env nor cloudbaserc.json "envId" gives one. */
const LOCAL_ENV = 'local'

export interface ProjectShape {
  functionsRoot: string
  /** The folder of the mini-program's app.json. */
  miniprogramRoot: string
  appid: string
  envId: string
  /** What was assumed for lack of project.config.json, one line each. */
  assumptions: string[]
}

/** A setting read from a project's JSON file: a non-empty string, or undefined. */
export const given = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined)

/** `config`: project.config.json, `rc`: cloudbaserc.json, each as read (undefined when absent); `envId`: --env. */
export function projectShape(root: string, config: Record<string, unknown> | undefined, rc: Record<string, unknown> | undefined, envId?: string): ProjectShape {
  const env = envId ?? given(rc?.envId)
  const fromConfig = given(config?.cloudfunctionRoot)
  const fromRc = given(rc?.functionRoot)
  const functionsRoot = resolve(root, fromConfig ?? fromRc ?? FUNCTIONS_CONVENTION)
  if (config) {
    return {
      functionsRoot,
      miniprogramRoot: resolve(root, given(config.miniprogramRoot) ?? MINIPROGRAM_CONVENTION),
      appid: given(config.appid) ?? PLACEHOLDER_APPID,
      envId: env ?? LOCAL_ENV,
      assumptions: [],
    }
  }
  const shown = (dir: string) => `${relative(root, dir) || '.'}/`
  const none = `no project.config.json in ${root}`
  const assumptions = [
    fromRc
      ? `${none}: functions from cloudbaserc.json "functionRoot", ${shown(functionsRoot)}`
      : `${none}: functions from ${FUNCTIONS_CONVENTION}/, the tools' convention (cloudbaserc.json "functionRoot" may name another folder)`,
  ]
  // An older layout keeps app.json at the project's root.
  const miniprogramRoot = !existsSync(join(root, MINIPROGRAM_CONVENTION)) && existsSync(join(root, 'app.json')) ? root : resolve(root, MINIPROGRAM_CONVENTION)
  if (existsSync(miniprogramRoot)) assumptions.push(`${none}: the mini-program from ${shown(miniprogramRoot)}`)
  assumptions.push(`${none}: AppID ${PLACEHOLDER_APPID}, a placeholder (event.userInfo.appId, WeChat's HTTPS API and its messages carry it)`)
  if (!env) assumptions.push(`${none}: env ${LOCAL_ENV}, as neither --env nor cloudbaserc.json "envId" names one`)
  return { functionsRoot, miniprogramRoot, appid: PLACEHOLDER_APPID, envId: env ?? LOCAL_ENV, assumptions }
}
