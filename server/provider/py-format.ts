/** Formats numbers and JSON exactly as TensorBoard's Python server prints them (repr, json.dumps, csv). */

/**
 * Python's `repr(float)`: the shortest digits that round-trip (same digits as JavaScript), written
 * in fixed notation when the decimal exponent is in [-4, 16), else as `d.ddde±XX`; integral values
 * keep a `.0`. Non-finite values are spelled `nan`, `inf`, `-inf` (what Python's csv module writes).
 */
export function pyFloatRepr (x: number): string {
  if (Number.isNaN(x)) return 'nan'
  if (x === Infinity) return 'inf'
  if (x === -Infinity) return '-inf'
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0'
  const exp = x.toExponential() // shortest round-trip digits, e.g. "-1.2345e+2"
  const ePos = exp.indexOf('e')
  let mant = exp.slice(0, ePos)
  const e = Number(exp.slice(ePos + 1))
  let sign = ''
  if (mant[0] === '-') { sign = '-'; mant = mant.slice(1) }
  const digits = mant.replace('.', '')
  if (e >= -4 && e < 16) {
    if (e < 0) return `${sign}0.${'0'.repeat(-e - 1)}${digits}`
    if (digits.length <= e + 1) return `${sign}${digits}${'0'.repeat(e + 1 - digits.length)}.0`
    return `${sign}${digits.slice(0, e + 1)}.${digits.slice(e + 1)}`
  }
  const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits
  const absE = Math.abs(e)
  return `${sign}${m}e${e < 0 ? '-' : '+'}${absE < 10 ? '0' : ''}${absE}`
}

/** A number as TB's JSON has it: `json_util.Cleanse` turns non-finite floats into strings. */
export function pyJsonNumber (x: number, isInt: boolean): string {
  if (Number.isNaN(x)) return '"NaN"'
  if (x === Infinity) return '"Infinity"'
  if (x === -Infinity) return '"-Infinity"'
  if (isInt) return Number.isInteger(x) ? String(x) : pyFloatRepr(x)
  return pyFloatRepr(x)
}

/** A number as Python's csv module writes it (`str(x)`). */
export function pyCsvNumber (x: number, isInt: boolean): string {
  if (isInt && Number.isInteger(x)) return String(x)
  return pyFloatRepr(x)
}

const ESC: Record<string, string> = { '"': '\\"', '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f' }

/** A string as `json.dumps(s)` (ensure_ascii=True) writes it: non-ASCII as lowercase `\uXXXX` units. */
export function pyJsonString (s: string): string {
  let out = '"'
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c >= 0x20 && c < 0x7f && c !== 0x22 && c !== 0x5c) { out += s[i]; continue }
    const esc = ESC[s[i]!]
    out += esc ?? '\\u' + c.toString(16).padStart(4, '0')
  }
  return out + '"'
}

/**
 * `json.dumps(value)` with Python's default separators (`, ` and `: `). Numbers are printed as
 * Python floats unless they are integers in a `PyInt` wrapper; use for small TB-compatible bodies.
 */
export function pyJsonDumps (value: unknown): string {
  if (value === null || value === undefined) return 'null'
  if (value instanceof PyInt) return String(value.v)
  switch (typeof value) {
    case 'boolean': return value ? 'true' : 'false'
    case 'number': return pyJsonNumber(value, false)
    case 'string': return pyJsonString(value)
  }
  if (Array.isArray(value)) return '[' + value.map(pyJsonDumps).join(', ') + ']'
  const parts: string[] = []
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) parts.push(pyJsonString(k) + ': ' + pyJsonDumps(v))
  return '{' + parts.join(', ') + '}'
}

/** Marks a number that Python holds as an int (printed without `.0`). */
export class PyInt {
  constructor (readonly v: number) {}
}
