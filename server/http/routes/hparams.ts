/** GET /api/v1/hparams: hyper-parameters of every session with its metrics' last, min and max values. */

import type { FastifyInstance } from 'fastify'
import { Type } from '@sinclair/typebox'
import type { DataSource } from '../../provider/data-source.js'
import { hparamsTable, type HParamsFileReader, type HParamsYamlReader } from '../../provider/hparams.js'
import { ERROR_RESPONSES } from '../route-helpers.js'

export interface HParamsRoutesOptions { store: DataSource, readHParams: HParamsFileReader, readHParamsYaml?: HParamsYamlReader }

const Value = Type.Union([Type.Number(), Type.String(), Type.Boolean(), Type.Null()])
const Num = Type.Union([Type.Number(), Type.Null()])
const Source = Type.Union([Type.Literal('hparams-plugin'), Type.Literal('text-config'), Type.Literal('hparams-yaml')])

const HParamsResponse = Type.Object({
  hparams: Type.Array(Type.String(), { description: 'Every hyper-parameter name of the sessions, sorted.' }),
  metrics: Type.Array(Type.String(), { description: 'Every metric name of the sessions, sorted.' }),
  sessions: Type.Array(Type.Object({
    run: Type.String(),
    hparams: Type.Record(Type.String(), Value),
    sources: Type.Record(Type.String(), Source, {
      description: 'Where each value of `hparams` comes from: `hparams-plugin` (SessionStartInfo), `text-config` ' +
        '(a JSON object logged as a text summary) or `hparams-yaml` (Lightning\'s hparams.yaml).'
    }),
    groupName: Type.String(),
    startTime: Num,
    status: Type.Union([Type.String(), Type.Null()]),
    metrics: Type.Record(Type.String(), Type.Object({ last: Num, lastStep: Num, min: Num, max: Num }))
  }))
})

/** Registers GET /hparams under the plugin prefix (the /api/v1 scope's error handler applies). */
export async function hparamsRoutes (app: FastifyInstance, opts: HParamsRoutesOptions): Promise<void> {
  app.get('/hparams', {
    schema: {
      summary: 'Hyper-parameters and metrics per session',
      description: 'Runs with hyper-parameters, each with its values and, for every scalar tag of the run and of the runs under it ' +
        '(`<run>/train`, `<run>/validation`), the last, smallest and largest finite value. Hyper-parameters come from (1) TensorBoard ' +
        'hparams plugin data (SessionStartInfo, SessionEndInfo, as written by tf.summary / Keras\' hparams API, tensorboardX / PyTorch ' +
        '`add_hparams` and Lightning), (2) JSON objects logged as text summaries, such as the `args` (TrainingArguments) and `model_config` ' +
        'that Hugging Face\'s Trainer writes, flattened under the tag without `/text_summary` (`args.learning_rate`), and (3) for a run ' +
        'without plugin data, PyTorch Lightning\'s `hparams.yaml` beside its event files. Nested keys are flattened to dotted names, lists ' +
        'kept as JSON text. When a name comes from several, the plugin data wins over a text config, which wins over the yaml; `sources` ' +
        'says which one each value is from. Only the first 16 MiB of each event file are searched (the data is written when a session ' +
        'starts). Local logdirs, s3:// logdirs and every part of a --logdir-spec are read alike.',
      tags: ['api'],
      response: {
        200: { description: 'Sessions', ...HParamsResponse },
        ...ERROR_RESPONSES
      }
    }
  }, async () => await hparamsTable(opts.store, opts.readHParams, opts.readHParamsYaml))
}
