/** The dashboard's pure data shaping (no DOM), one module per concern; this barrel re-exports them for the page and the tests. */

export * from './wire.js'
export * from './run-view.js'
export * from './chart-model.js'
export * from './legend.js'
export * from './overlays.js'
export * from './query.js'
export * from './catalog.js'
export * from './stream-events.js'
export * from './settings.js'
export * from './format.js'
