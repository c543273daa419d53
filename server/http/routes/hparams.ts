/** GET /api/v1/hparams: hyper-parameters of every session (hparams plugin data) with its metrics' last, min and max values. */

import type { FastifyInstance } from 'fastify'
import type { DataSource } from '../../provider/data-source.js'
import { hparamsTable, type HParamsFileReader, type HParamsYamlReader } from '../../provider/hparams.js'
import { ERROR_RESPONSES } from '../route-helpers.js'

export interface HParamsRoutesOptions { store: DataSource, readHParams: HParamsFileReader, readHParamsYaml?: HParamsYamlReader }

const Value = { anyOf: [{ type: 'number' }, { type: 'string' }, { type: 'boolean' }, { type: 'null' }] }
const Num = { type: ['number', 'null'] }

/** Registers GET /hparams under the plugin prefix (the /api/v1 scope's error handler applies). */
export async function hparamsRoutes (app: FastifyInstance, opts: HParamsRoutesOptions): Promise<void> {
  app.get('/hparams', {
    schema: {
      summary: 'Hyper-parameters and metrics per session',
      description: 'Runs whose event files carry TensorBoard hparams plugin data (SessionStartInfo, SessionEndInfo, as written by ' +
        'tf.summary / Keras\' hparams API or tensorboardX), each with its hyper-parameter values and, for every scalar tag of the run ' +
        'and of the runs under it (`<run>/train`, `<run>/validation`), the last, smallest and largest finite value. Only the first ' +
        '16 MiB of each event file are searched for the session data (it is written when a session starts). A run without plugin data ' +
        'but with PyTorch Lightning\'s `hparams.yaml` beside its event files is a session too, its nested keys flattened to dotted names.',
      tags: ['api'],
      response: {
        200: {
          description: 'Sessions',
          type: 'object',
          properties: {
            hparams: { type: 'array', items: { type: 'string' } },
            metrics: { type: 'array', items: { type: 'string' } },
            sessions: {
              type: 'array',
              items: {
                type: 'object',
                properties: {
                  run: { type: 'string' },
                  hparams: { type: 'object', additionalProperties: Value },
                  groupName: { type: 'string' },
                  startTime: Num,
                  status: { type: ['string', 'null'] },
                  metrics: { type: 'object', additionalProperties: { type: 'object', properties: { last: Num, lastStep: Num, min: Num, max: Num } } }
                }
              }
            }
          }
        },
        ...ERROR_RESPONSES
      }
    }
  }, async () => hparamsTable(opts.store, opts.readHParams, opts.readHParamsYaml))
}
