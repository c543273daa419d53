/** Number, step, duration and size formatting for legends, ticks and notes. */

// ---------------------------------------------------------------------------------------------
// Formatting
// ---------------------------------------------------------------------------------------------

/** A value for the legend: NaN/±Inf spelled out, 5 significant digits, exponent outside [1e-3, 1e5). */
export function formatValue (v: number, digits = 5): string {
  if (Number.isNaN(v)) return 'NaN'
  if (v === Infinity) return '+Inf'
  if (v === -Infinity) return '-Inf'
  if (v === 0) return '0'
  const a = Math.abs(v)
  if (a >= 1e5 || a < 1e-3) return v.toExponential(Math.max(0, digits - 2)).replace(/\.?0+e/, 'e')
  return String(Number(v.toPrecision(digits)))
}

/** A step with thousands separators ("12,345"). */
export function formatStep (s: number): string {
  if (!Number.isFinite(s)) return String(s)
  return Math.round(s).toLocaleString('en-US')
}

/** An axis tick for steps or values: compact (1.2k, 3M) for big magnitudes. */
export function formatTick (v: number): string {
  const a = Math.abs(v)
  if (a >= 1e9) return `${Number((v / 1e9).toPrecision(3))}G`
  if (a >= 1e6) return `${Number((v / 1e6).toPrecision(3))}M`
  if (a >= 1e4) return `${Number((v / 1e3).toPrecision(3))}k`
  if (a !== 0 && a < 1e-3) return v.toExponential(1).replace('.0e', 'e')
  return String(Number(v.toPrecision(4)))
}

/** A duration in seconds as the relative axis shows it: "45s", "12m 30s", "3h 05m", "2d 4h". */
export function formatDuration (sec: number): string {
  if (!Number.isFinite(sec)) return ''
  const sign = sec < 0 ? '-' : ''
  let s = Math.abs(sec)
  if (s < 60) return `${sign}${Number(s.toPrecision(3))}s`
  s = Math.round(s)
  const d = Math.floor(s / 86400); const h = Math.floor((s % 86400) / 3600); const m = Math.floor((s % 3600) / 60); const r = s % 60
  if (d > 0) return `${sign}${d}d ${h}h`
  if (h > 0) return `${sign}${h}h ${String(m).padStart(2, '0')}m`
  return `${sign}${m}m ${String(r).padStart(2, '0')}s`
}

/** Bytes in binary units ("3.4 MiB"). */
export function formatBytes (n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let v = n; let u = 0
  while (v >= 1024 && u < units.length - 1) { v /= 1024; u++ }
  return `${u === 0 ? v : v.toFixed(1)} ${units[u]}`
}

/** A count with thousands separators. */
export function formatCount (n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '–'
}
