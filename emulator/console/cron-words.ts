/**
 * A timer's cron in words, Chinese and English. The platform's cron has seven
 * fields (second minute hour day month weekday year) and runs on UTC+8, so
 * the words are UTC+8 too; cronstrue reads seven fields the same way.
 */
import cronstrue from 'cronstrue'
import 'cronstrue/locales/zh_CN'

/** `每分钟 · Every minute`, or undefined where the words cannot be made. */
export function cronInWords(cron: string): { zh: string; en: string } | undefined {
  try {
    const options = { use24HourTimeFormat: true, throwExceptionOnParseError: true }
    return { zh: cronstrue.toString(cron, { ...options, locale: 'zh_CN' }), en: cronstrue.toString(cron, options) }
  } catch {
    return undefined
  }
}
