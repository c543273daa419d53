/**
 * Fastify's own response serializer compiler (fast-json-stringify), loaded and run for a response
 * schema the first time a reply needs it instead of for every route at start-up.
 */

import { createRequire } from 'node:module'
import type { SerializerFactory, SerializerCompiler } from '@fastify/fast-json-stringify-compiler'

/*
 * Every route has response schemas (for the OpenAPI document), so Fastify compiled ~80 of them
 * with fast-json-stringify when the server became ready, functions most of which are never called:
 * bodies are sent pre-serialised, so only an object reply (an error body) ever uses one. Here each
 * compiled function is a stand-in that, on its first call, loads the compiler Fastify would have
 * used, with the same external schemas and options, compiles that one schema and from then on calls
 * the result: every body is the one the eager compiler gives. A schema that does not compile is
 * reported on the first reply that needs it rather than at start-up; the tests request every route.
 *
 * Request validators (Ajv) are not deferred: compiled on a route's first request, Ajv's loading and
 * set-up blocked that request and every other one for over a second on a loaded 2-core machine.
 */

const load = createRequire(import.meta.url)

type Serialize = ReturnType<SerializerCompiler>

/** Drop-in for Fastify's default serializer factory (@fastify/fast-json-stringify-compiler), loaded on first use. */
export const lazySerializerFactory: SerializerFactory = (externalSchemas, options) => {
  let compiler: SerializerCompiler | null = null
  const real = (): SerializerCompiler => {
    compiler ??= (load('@fastify/fast-json-stringify-compiler') as () => SerializerFactory)()(externalSchemas, options)
    return compiler
  }
  return (route) => {
    let serialize: Serialize | null = null
    return (data) => {
      serialize ??= real()(route)
      return serialize(data)
    }
  }
}
