/** Where the tests' builds of the mini-program go (test/support/render-build.ts writes them). */
import { join } from 'node:path'
import { ROOT } from '../../emulator/spawn'

/** The app and its pages, for the simulated runtime (test/support/miniprogram.ts). */
export const SIM_OUT = join(ROOT, 'build/miniprogram-sim')
/** Each component beside its WXML, WXSS and JSON, for rendering (test/support/render.ts). */
export const RENDER_OUT = join(ROOT, 'build/miniprogram-render')
