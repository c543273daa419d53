/** Which logger wrote a series and how it smoothed it (../shared/reference/KERAS_LOGGING.md §7), from names alone. */

/**
 * How a series' logger smoothed it. Only `keras-running-mean` is inverted automatically; the
 * other families are labelled so that the user knows what a point means.
 */
export type SmoothingFamily =
  /** tf-keras 2.x / Keras 3 `batch_<metric>`: batch-size-weighted running mean since the epoch start. Invertible. */
  | 'keras-running-mean'
  /** Keras `batch_<ratio metric>` (AUC, precision, recall, …): a running ratio of counts. Not invertible. */
  | 'keras-running-ratio'
  /** Lightning `<name>_step`: the raw value of every n-th step. */
  | 'lightning-step'
  /** Lightning `<name>_epoch`: batch-size-weighted mean over the epoch. */
  | 'lightning-epoch'
  /** Hugging Face Trainer `train/loss`: mean over each disjoint window of `logging_steps`, rounded to 4 d.p. */
  | 'hf-window-mean'
  /** Stable-Baselines3 `rollout/ep_*_mean`: rolling mean of the last ≤100 episodes. Not invertible. */
  | 'rl-rolling-mean'
  /** One value per epoch or evaluation pass (Keras `epoch_*`, `evaluation_*_vs_iterations`, HF `eval/*`). */
  | 'epoch-aggregate'
  /** Plain per-step values (hand-written loops, PyTorch, tensorboardX, TF1). */
  | 'raw'
  | 'unknown'

/** The family of a series and why it was chosen. */
export interface FamilyGuess {
  family: SmoothingFamily
  /** One sentence naming the evidence (shown in the API's notes). */
  reason: string
}

/** What {@link guessFamily} looks at: names only, so it is cheap and stable while points arrive. */
export interface FamilyContext {
  run: string
  tag: string
  /** Every tag of the same run. */
  runTags: ReadonlySet<string>
  /** Every run name in the logdir (unused by the current rules; kept for callers that have it). */
  runs?: ReadonlySet<string>
}

const KERAS_RATIO = /(^|_)(auc|pr_auc|precision|recall|f1|f1_score|fbeta|fbeta_score|iou|mean_iou|io_u|sensitivity|specificity|true_positives|true_negatives|false_positives|false_negatives|r2|r2_score|r_squared|kappa|cohen_kappa|correlation)(_\d+)?$/i

/** Last `/`-separated segment of a run name. */
function basename (run: string): string {
  const i = run.lastIndexOf('/')
  return i < 0 ? run : run.slice(i + 1)
}

/** `a/b/train` → `a/b/<name>`. */
export function siblingRun (run: string, name: string): string {
  const i = run.lastIndexOf('/')
  return i < 0 ? name : run.slice(0, i + 1) + name
}

/**
 * True when the run looks like the `train` directory of the Keras TensorBoard callback: Keras
 * always names it `train`, and writes `epoch_*` tags there at the end of every epoch (a run in its
 * first epoch has only `batch_*` tags yet, hence the name test).
 */
export function isKerasTrainRun (ctx: Pick<FamilyContext, 'run' | 'runTags'>): boolean {
  if (basename(ctx.run) === 'train') return true
  for (const t of ctx.runTags) if (t.startsWith('epoch_')) return true
  return false
}

/**
 * Guesses the family from tag and run names (KERAS_LOGGING.md §7). Order matters: the Keras
 * signature (`batch_*` in a run with `epoch_*` tags or named `train`) is the strongest, then
 * Lightning's `_step`/`_epoch` pairs, Hugging Face's `train/loss` beside `train/epoch` or
 * `train/learning_rate`, SB3's `rollout/ep_*_mean`; anything else is `raw`.
 */
export function guessFamily (ctx: FamilyContext): FamilyGuess {
  const { tag, runTags } = ctx
  const keras = isKerasTrainRun(ctx)
  const batch = /^batch_(.+)$/.exec(tag)
  if (batch !== null && keras) {
    const metric = batch[1]!
    if (metric === 'steps_per_second') return { family: 'raw', reason: 'Keras batch_steps_per_second is a per-batch rate, not a running mean' }
    if (KERAS_RATIO.test(metric)) return { family: 'keras-running-ratio', reason: `Keras batch_${metric} is a running ratio of counts since the epoch start; it cannot be inverted without the counts` }
    return { family: 'keras-running-mean', reason: 'Keras batch_* tag in a Keras train run: running mean since the start of the epoch' }
  }
  if (keras && (/^epoch_/.test(tag) || /^evaluation_.+_vs_iterations$/.test(tag))) {
    return { family: 'epoch-aggregate', reason: 'Keras epoch-level value (one per epoch or evaluation pass)' }
  }
  const step = /^(.+)_step$/.exec(tag)
  if (step !== null && runTags.has(`${step[1]}_epoch`)) return { family: 'lightning-step', reason: `Lightning: ${tag} beside ${step[1]}_epoch is the raw value of the logged steps` }
  const epoch = /^(.+)_epoch$/.exec(tag)
  if (epoch !== null && runTags.has(`${epoch[1]}_step`)) return { family: 'lightning-epoch', reason: `Lightning: ${tag} is the batch-size-weighted mean over each epoch` }
  const hf = runTags.has('train/epoch') || runTags.has('train/learning_rate') || runTags.has('train/train_runtime')
  if (hf && tag === 'train/loss') return { family: 'hf-window-mean', reason: 'Hugging Face Trainer: train/loss is the mean over each window of logging_steps optimizer steps, rounded to 4 decimals' }
  if (hf && tag.startsWith('eval/')) return { family: 'epoch-aggregate', reason: 'Hugging Face Trainer: eval/* is one value per evaluation pass' }
  if (/^rollout\/(ep_rew_mean|ep_len_mean|success_rate)$/.test(tag)) return { family: 'rl-rolling-mean', reason: 'Stable-Baselines3: rolling mean over the last (default 100) completed episodes; evicted values are unknown' }
  return { family: 'raw', reason: 'no smoothing signature in the tag or run names: taken as plain per-step values' }
}

/** The epoch-level tag that closes the epochs of a Keras batch tag: `epoch_<metric>`, else `epoch_loss`, else any `epoch_*`. */
export function epochTagFor (batchTag: string, runTags: ReadonlySet<string>): string | null {
  const m = /^batch_(.+)$/.exec(batchTag)
  if (m !== null && runTags.has(`epoch_${m[1]}`)) return `epoch_${m[1]}`
  if (runTags.has('epoch_loss')) return 'epoch_loss'
  for (const t of runTags) if (t.startsWith('epoch_') && !isLearningRateTag(t)) return t
  return null
}

/** Learning-rate series: `*learning_rate*`, `lr` as a word (`lr`, `epoch_lr`, `train/lr`), Lightning's `lr-<optimizer>`. */
export function isLearningRateTag (tag: string): boolean {
  return /learning[_ ]?rate/i.test(tag) || /(^|[/_\-. ])lr($|[/_\-. ])/i.test(tag) || /^lr-/i.test(tag)
}

/** Progress counters, throughput and episode lengths (longer is better in some environments, worse in others): never annotated for jumps. */
export function isCounterTag (tag: string): boolean {
  return /(^|\/)(epoch|step|global_step|iterations?|timesteps|total_timesteps|episodes|ep_len_mean)$/i.test(tag) ||
    /steps_per_second|samples_per_second|per_sec|fps|runtime|time_elapsed|throughput|total_flos|hp_metric|^time\//i.test(tag)
}

/**
 * Optimiser and RL diagnostics (PPO's approx_kl, clip fraction, explained variance, entropy,
 * schedules of momentum or temperature): their jumps are not loss jumps and they are often
 * degenerate (long runs of exact zeros), so only NaN/Inf is annotated on them.
 */
export function isDiagnosticTag (tag: string): boolean {
  return /approx_kl|(^|[/_])kl($|[/_])|policy_gradient_loss|clip_fraction|clip_range|explained_variance|entropy|n_updates|(^|[/_])std$|weight_decay|momentum|temperature|epsilon|(^|[/_])beta\d?$/i.test(tag)
}

/**
 * A gradient norm (`grad_norm`, `train/grad_norm`, `gradient_norm`, Lightning's
 * `grad_2.0_norm_total`): a diagnostic whose level follows the phase of training.
 */
export function isGradientNormTag (tag: string): boolean {
  return /grad/i.test(tag) && /norm/i.test(tag) && !/lr|learning.?rate/i.test(tag)
}

/** Metrics where higher is better: their problem jumps go down. */
export function higherIsBetter (tag: string): boolean {
  return /acc|accuracy|auc|precision|recall|f1|iou|reward|rew_|return|score|success|bleu|rouge|dice|map\b|r2|explained_variance/i.test(tag)
}

/**
 * Rewards and returns: additive quantities whose sign is not fixed and whose zero means nothing,
 * so ratios to a level (the detector's log space) are meaningless near 0: analysed linearly.
 */
export function isAdditiveTag (tag: string): boolean {
  return /reward|rew_|(^|[/_])(ep_)?returns?($|[/_])/i.test(tag)
}

/** Loss-like tags: the ones an overfitting check compares between training and validation. */
export function isLossLike (tag: string): boolean {
  return /loss|error|nll|mse|mae|rmse|perplexity|ppl|cross_?entropy/i.test(tag)
}

const VAL_WORDS = ['validation', 'valid', 'val', 'eval', 'evaluation', 'test', 'dev']
const TRAIN_WORDS = ['train', 'training']

/**
 * Training-series candidates for a validation series, most specific first: the Keras
 * `<dir>/train` run beside `<dir>/validation` with the same tag; the same run with the validation
 * word of the tag swapped (`val_loss` → `loss`/`train_loss`, `eval/loss` → `train/loss`,
 * `Loss/val` → `Loss/train`); a sibling run with the word swapped (`loss_val` → `loss_train`).
 * Empty when the series does not look like a validation series.
 */
/**
 * Training runs whose series a validation-named run is compared with (its sibling with the
 * validation word replaced by a training word): the only cross-run dependency of enrichment.
 * Empty for a run whose last segment names no validation split.
 */
export function trainRunCounterparts (run: string): string[] {
  return [...new Set(trainCounterparts(run, '').filter(c => c.run !== run).map(c => c.run))]
}

export function trainCounterparts (run: string, tag: string): Array<{ run: string, tag: string }> {
  const out: Array<{ run: string, tag: string }> = []
  const base = basename(run)
  const sep = '(^|[/_\\-. ])'
  const end = '($|[/_\\-. ])'
  for (const v of VAL_WORDS) {
    const re = new RegExp(sep + v + end, 'i')
    if (re.test(base)) {
      for (const t of TRAIN_WORDS) out.push({ run: siblingRun(run, base.replace(re, (_m, a: string, b: string) => a + t + b)), tag })
    }
  }
  for (const v of VAL_WORDS) {
    const re = new RegExp(sep + v + end, 'i')
    if (!re.test(tag)) continue
    for (const t of TRAIN_WORDS) out.push({ run, tag: tag.replace(re, (_m, a: string, b: string) => a + t + b) })
    // Keras history names: val_loss beside loss. Lightning: val_loss beside train_loss_epoch.
    const stripped = tag.replace(new RegExp('^' + v + '[_/\\-.]', 'i'), '')
    if (stripped !== tag) {
      out.push({ run, tag: stripped })
      out.push({ run, tag: `train_${stripped}_epoch` })
      out.push({ run, tag: `${stripped}_epoch` })
    }
  }
  const seen = new Set<string>()
  return out.filter(c => {
    const k = c.run + '\0' + c.tag
    if (seen.has(k) || (c.run === run && c.tag === tag)) return false
    seen.add(k)
    return true
  })
}

/** Training losses carry the schedule's info annotations (not validation or evaluation curves). */
export function wantsSchedule (run: string, tag: string): boolean {
  return isLossLike(tag) && !noJumps(tag) && !/epoch/i.test(tag) && !/(^|[/_])train_loss$/.test(tag) && !/(^|[/_-])(val|valid|validation|eval|evaluation|test)([/_-]|$)/i.test(`${run}/${tag}`)
}

/** Tags whose jumps are not annotated (only their NaN/Inf): counters, learning rates, optimiser diagnostics. */
export function noJumps (tag: string): boolean {
  return isCounterTag(tag) || isLearningRateTag(tag) || isDiagnosticTag(tag)
}

/** Median of the training values in (prev, step] (the last value ≤ step when none), by binary search on sorted steps. */
export function trainLevelAt (steps: ArrayLike<number>, values: ArrayLike<number>, n: number, step: number, prev: number): number {
  // Upper bound: first index with steps > step (steps of one fit increase; other fits fall back to a scan).
  let lo = 0; let hi = n
  while (lo < hi) { const mid = (lo + hi) >> 1; if (steps[mid]! <= step) lo = mid + 1; else hi = mid }
  const end = lo
  if (end === 0) return NaN
  const xs: number[] = []
  for (let i = end - 1; i >= 0 && steps[i]! > prev && xs.length < 512; i--) if (Number.isFinite(values[i]!)) xs.push(values[i]!)
  if (xs.length === 0) return values[end - 1]!
  xs.sort((a, b) => a - b)
  return xs[xs.length >> 1]!
}
