/**
 * A real browser for page tests: Debian's Chromium where it is installed, else
 * the Chromium that `npm install` brings inside @sparticuz/chromium. No
 * download, no manual step. Flags keep it off the network this machine closes.
 */
import { existsSync } from 'node:fs'
import chromium from '@sparticuz/chromium'
import { chromium as playwright, type Browser } from 'playwright-core'

const DEBIAN_CHROMIUM = '/usr/bin/chromium'
const QUIET = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']

export async function launchBrowser(): Promise<Browser> {
  if (existsSync(DEBIAN_CHROMIUM)) return playwright.launch({ executablePath: DEBIAN_CHROMIUM, args: QUIET, headless: true })
  return playwright.launch({ executablePath: await chromium.executablePath(), args: [...chromium.args, ...QUIET], headless: true })
}
