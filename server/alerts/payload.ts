/** The JSON an alert webhook receives: generic fields, plus a `text` line for Slack- and Discord-style incoming webhooks. */

import type { Annotation } from '../provider/enrichment.js'

export interface AlertPayload {
  run: string
  tag: string
  kind: string
  severity: string
  step: number
  endStep: number
  /** Wall time (float seconds) of the annotation's start point. */
  wallTime: number
  causes: Array<{ cause: string, evidence: string }>
  explanation: string
  /** The chart of this run and tag in the dashboard (needs --public-url), or null. */
  link: string | null
  annotationId: string
}

export function alertPayload (a: Annotation, publicUrl: string): AlertPayload {
  const link = publicUrl === '' ? null : `${publicUrl}/#runs=${encodeURIComponent(`^${escapeRe(a.run)}$`)}&tags=${encodeURIComponent(`^${escapeRe(a.tag)}$`)}`
  return {
    run: a.run,
    tag: a.tag,
    kind: a.kind,
    severity: a.severity,
    step: a.startStep,
    endStep: a.endStep,
    wallTime: a.wallTime,
    causes: a.causes,
    explanation: a.explanation,
    link,
    annotationId: a.id
  }
}

/**
 * Slack (`text`, mrkdwn) and Discord (`content`; Discord's `/slack` webhook URLs read `text`)
 * show the one-line summary; the generic fields ride along for other receivers.
 */
export function chatBody (p: AlertPayload): Record<string, unknown> {
  const when = new Date(p.wallTime * 1000).toISOString()
  const cause = p.causes[0] === undefined ? '' : ` Likely cause: ${p.causes[0].cause}.`
  const link = p.link === null ? '' : ` <${p.link}|chart>`
  const text = `[${p.severity}] ${p.kind} in run ${p.run}, tag ${p.tag}, at step ${p.step} (${when}).${cause}${link}`
  return { text, content: text.replace(/<([^|>]+)\|chart>/, '$1'), ...p }
}

function escapeRe (s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
