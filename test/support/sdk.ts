/**
 * Points wx-server-sdk, in this test process, at a running emulator, as the
 * platform points a function instance at CloudBase: so a domain module can be
 * tested on its own against the real SDK and the real emulator.
 */
import type { RunningEmulator } from '../../emulator/spawn'

export function connectSdk(emulator: RunningEmulator, envId = 'local'): void {
  Object.assign(process.env, {
    TCB_CONTEXT_CNFG: JSON.stringify({ URL: `${emulator.url}/admin` }),
    TCB_ENV: envId,
    SCF_NAMESPACE: envId,
    TENCENTCLOUD_SECRETID: 'local-emulator',
    TENCENTCLOUD_SECRETKEY: 'local-emulator',
    TENCENTCLOUD: 'true',
    WX_CONTEXT_KEYS: 'WX_APPID',
    WX_APPID: 'wx8e4f0c1d2a3b5c67',
  })
}
