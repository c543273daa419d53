/** Small DOM helpers shared by the page's parts. */

export function $ <T extends HTMLElement> (id: string): T {
  const e = document.getElementById(id)
  if (e === null) throw new Error(`#${id} missing from index.html`)
  return e as T
}

export function h<K extends keyof HTMLElementTagNameMap> (tag: K, attrs: Record<string, string> = {}, ...children: Array<Node | string>): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v
    else e.setAttribute(k, v)
  }
  e.append(...children)
  return e
}
