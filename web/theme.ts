/** Light or dark: follows the system (prefers-color-scheme) unless the user picks one with the switch; the choice is kept in localStorage. */

import { $, h } from './dom.js'

export type Theme = 'auto' | 'light' | 'dark'
const KEY = 'lossboard.theme'
const NEXT: Record<Theme, Theme> = { auto: 'dark', dark: 'light', light: 'auto' }
const ICON: Record<Theme, string> = { auto: '◐', dark: '☾', light: '☀' }

function stored (): Theme {
  try {
    const t = localStorage.getItem(KEY)
    return t === 'light' || t === 'dark' ? t : 'auto'
  } catch { return 'auto' }
}

/** The theme in effect: the user's pick, else the system's. */
export function effectiveTheme (t: Theme): 'light' | 'dark' {
  if (t !== 'auto') return t
  return matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light'
}

/** Applies the stored theme, wires the switch, and calls `onChange` when the colours change (charts bake them in). */
export function initTheme (onChange: () => void): void {
  let theme = stored()
  const btn = $('theme-btn')
  const apply = (): void => {
    const eff = effectiveTheme(theme)
    document.documentElement.dataset.theme = eff
    // The word is dropped on a phone's top bar (CSS); the icon and the accessible name stay.
    btn.replaceChildren(`${ICON[theme]} `, h('span', { class: 'theme-word' }, theme))
    btn.setAttribute('aria-label', `theme: ${theme}`)
    btn.title = `theme: ${theme === 'auto' ? `following the system (${eff})` : theme} — click to change`
  }
  apply()
  btn.addEventListener('click', () => {
    theme = NEXT[theme]
    try { if (theme === 'auto') localStorage.removeItem(KEY); else localStorage.setItem(KEY, theme) } catch { /* private mode */ }
    apply()
    onChange()
  })
  matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => { if (theme === 'auto') { apply(); onChange() } })
}
