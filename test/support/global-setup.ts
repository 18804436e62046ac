import { join } from 'node:path'
import { buildEmulator, buildFunctions } from '../../scripts/build'
import { buildForRender, buildMiniprogram } from './render-build'

export const FIXTURE_PROJECT = join(__dirname, '../fixtures/probe-project')

/** Every test drives bundles, as deployed: build the project's and the fixture project's functions, and the mini-program's code, first. */
export default async function setup(): Promise<void> {
  await Promise.all([buildEmulator(), buildFunctions(), buildFunctions(join(FIXTURE_PROJECT, 'cloudfunctions')), buildMiniprogram(), buildForRender()])
}
