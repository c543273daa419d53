/**
 * Fastify's own schema compilers (Ajv for requests, fast-json-stringify for responses), loaded and
 * run for a route the first time that route needs them instead of for every route at start-up.
 */

import { createRequire } from 'node:module'
import type { ValidatorFactory, ValidatorCompiler } from '@fastify/ajv-compiler'
import type { SerializerFactory, SerializerCompiler } from '@fastify/fast-json-stringify-compiler'

/*
 * Every route has a response schema (for the OpenAPI document) and most have a query schema, so
 * Fastify compiles ~80 schemas when the server becomes ready, and loads Ajv and fast-json-stringify
 * (~120 files) to do it: a large part of the time from spawn to listening, spent on functions most
 * of which are never called (bodies are sent pre-serialised, so a 200's serializer never runs).
 * Here each compiled function is a stand-in that, on its first call, loads the compiler Fastify
 * would have used, with the same external schemas and options, compiles that one schema and from
 * then on calls the result: every answer, validation error and coercion is the one the eager
 * compilers give. A schema that does not compile is reported on its route's first request (a 500)
 * rather than at start-up; the tests request every route.
 */

const load = createRequire(import.meta.url)

type Validate = ReturnType<ValidatorCompiler>
type Serialize = ReturnType<SerializerCompiler>

/** An Ajv validation function's shape as Fastify reads it: the result, then `errors`; `schemaEnv` says it may coerce the root. */
interface AjvLike {
  (data: unknown, dataCxt?: unknown): unknown
  errors?: unknown
  schemaEnv?: unknown
}

function lazyValidate (compile: () => Validate): Validate {
  let real: AjvLike | null = null
  const validate: AjvLike = function (data: unknown, dataCxt?: unknown): unknown {
    real ??= compile() as AjvLike
    const result = real(data, dataCxt)
    validate.errors = real.errors
    return result
  }
  // Fastify passes the parent object (so Ajv can coerce a whole query string) only to functions with
  // a schemaEnv; every function Ajv compiles has one.
  validate.schemaEnv = true
  return validate as Validate
}

/** Drop-in for Fastify's default validator factory (@fastify/ajv-compiler), loaded on first use. */
export const lazyValidatorFactory: ValidatorFactory = (externalSchemas, options) => {
  let compiler: ValidatorCompiler | null = null
  const real = (): ValidatorCompiler => {
    compiler ??= (load('@fastify/ajv-compiler') as () => ValidatorFactory)()(externalSchemas, options)
    return compiler
  }
  return (route) => lazyValidate(() => real()(route))
}

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
