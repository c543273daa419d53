/** The TypeBox type provider: a route's `req.query` is typed from its TypeBox schema, so no route casts it. */

import type { FastifyTypeProvider } from 'fastify'
import type { Static, TSchema } from '@sinclair/typebox'

/**
 * What @fastify/type-provider-typebox provides, for the validator side only (responses are sent
 * as pre-serialised strings and buffers, so the serializer side stays untyped). Use with
 * `app.withTypeProvider<TypeBoxTypeProvider>()`.
 */
export interface TypeBoxTypeProvider extends FastifyTypeProvider {
  validator: this['schema'] extends TSchema ? Static<this['schema']> : unknown
  serializer: unknown
}
