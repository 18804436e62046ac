/**
 * Imported before any other module: a browser on a POSIX locale (Chromium on
 * Linux with LANG=C.UTF-8) reports `navigator.language` as `en-US@posix`,
 * which Intl refuses, and a module that formats numbers in the browser's
 * language when it loads (uPlot) would stop the whole console. Such a tag
 * reads as its language part.
 */
const reported = navigator.language
try {
  new Intl.NumberFormat(reported)
} catch {
  const usable = reported.split('@')[0]!.replace('_', '-')
  Object.defineProperty(navigator, 'language', { get: () => usable, configurable: true })
}
