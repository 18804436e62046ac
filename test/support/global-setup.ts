import { join } from 'node:path'
import { buildEmulator, buildFunctions } from '../../scripts/build'
import { buildForRender, buildMiniprogram } from './render-build'

export const FIXTURE_PROJECT = join(__dirname, '../fixtures/probe-project')
/** Other fixture projects (the platform's runtime: emulator/services/functions/after-reply.test.ts; other shapes: emulator/project-shapes.test.ts, triggers.test.ts): their functions' folders. */
const SHAPED_FUNCTIONS = ['runtime-project/cloudfunctions', 'triggers-project/cloudfunctions', 'cli-shaped-project/functions', 'functions-only-project/cloudfunctions'].map((dir) => join(__dirname, '../fixtures', dir))

/** Every test drives bundles, as deployed: build the project's and the fixture project's functions, and the mini-program's code, first. */
export default async function setup(): Promise<void> {
  await Promise.all([buildEmulator(), buildFunctions(), buildFunctions(join(FIXTURE_PROJECT, 'cloudfunctions')), ...SHAPED_FUNCTIONS.map((dir) => buildFunctions(dir)), buildMiniprogram(), buildForRender()])
}
