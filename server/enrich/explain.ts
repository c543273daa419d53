/** One actionable paragraph per annotation, written from its kind, numbers and causes. */

import type { JumpEvent } from './events.js'
import { metricWords, directionOf, type MetricWords } from './metric-words.js'
import { isDiagnosticTag } from './families.js'
import { PART_OF } from './containment.js'

/** What the explanation needs of an event (a subset of JumpEvent, so overfitting and staircase events can use it too). */
export type Explainable = Pick<JumpEvent, 'kind' | 'startStep' | 'endStep' | 'ratio' | 'baseline' | 'peak' | 'causes'>

function has (ev: Explainable, word: RegExp): boolean {
  return ev.causes.some(c => word.test(c.cause))
}

function lrSentence (ev: Explainable, w: MetricWords): string {
  // Only an attached learning-rate cause (`learning-rate change: raised …`), not the generic
  // "a lasting change in the optimisation (learning-rate change, …)".
  const lr = ev.causes.find(c => /^learning-rate change:/.test(c.cause))
  if (lr === undefined) return ''
  const up = /raised|increased/.test(lr.cause)
  return up
    ? ' It follows a learning-rate increase (see the evidence), the most likely trigger: steps that are too large overshoot the minimum the model was settling into. Lower the new rate, add a warm-up instead of a sudden change, or clip gradients.'
    : ` A learning-rate change came shortly before it (see the evidence). A lower rate rarely causes a ${w.jump} by itself, so check what else changed at that moment: an optimizer or scheduler reset, a warm restart, or a resumed checkpoint whose optimizer state was not restored.`
}

/**
 * The explanation paragraph of an event. It says what the pattern is, whether it is a training
 * problem, the likely causes in order, and what to try; it reads the causes already attached, so
 * it must be recomputed after causes are added. `dir` is the direction the series was read in
 * (+1: higher is worse); by default the one the enrichment gives the tag. A metric that should
 * rise (accuracy, reward) is described as dropping, and advice meant for a loss stays on losses.
 */
export function explain (ev: Explainable, label: string, dir: 1 | -1 = directionOf(label)): string {
  const w = metricWords(dir, label)
  const lrs = lrSentence(ev, w)
  const span = ev.startStep === ev.endStep ? `at step ${ev.startStep}` : `from step ${ev.startStep} to ${ev.endStep}`
  const grad = has(ev, /gradient norm/) ? ' The gradient norm moved at the same time, which points at the optimisation rather than at the data.' : ''
  const host = ev.causes[0]?.cause.startsWith(PART_OF) === true ? ev.causes[0].cause.slice(PART_OF.length) : null
  if (host !== null) return `This ${ev.kind} of ${label} ${span} is one piece of a larger event, ${host}. It is kept as information so that one problem is not reported twice; the diagnosis and what to try are on that annotation.`
  switch (ev.kind) {
    case 'staircase-artifact':
      return `The step in ${label} ${span} is an artefact of how Keras logs it, not a training problem. Keras reports the running mean of the metric since the start of the epoch and resets it when a new epoch begins; while training improves, the first batches of a new epoch are already better than the previous epoch's average, so the logged curve steps at every epoch boundary (down for a falling loss, up for a rising accuracy, and the other way while training gets worse). The de-smoothed per-batch values show no such step here. Read the de-smoothed series, or plot batch values instead of running means, before changing anything.`
    case 'spike':
      if (w.dir === -1) {
        return `${label} dropped ${span} and came back to its baseline, so training recovered on its own. A short drop of a metric that should rise is most often in the measurement (a small or unrepresentative evaluation sample, a set of unusually hard examples) or a brief disturbance of the weights that the following updates undid.${lrs}${grad} Check whether the loss of the same run jumped at the same step: if it did, its annotation names the cause; if it did not, the drop is noise of the metric. If drops recur, measure ${label} on more samples or smooth it before acting on it.`
      }
      return `${label} jumped ${span} and came back to its baseline, so training recovered on its own. A transient jump like this usually comes from the data rather than the optimiser: one or a few batches with corrupt, mislabelled or unnormalised samples, an augmentation that went wrong, or a shard boundary in the input pipeline.${lrs}${grad} Log or dump the batches at these steps and inspect them; if spikes recur, check shuffling and preprocessing, and consider gradient clipping so that one bad batch cannot move the weights far.`
    case 'level-shift':
      return `${label} stepped ${w.up} ${span} and stayed ${w.higher} instead of returning to its baseline. A lasting ${w.dir === 1 ? 'step' : 'drop of a metric that should rise'} means the optimisation itself changed: most often the learning rate (a schedule step, a warm restart, a manual change), or an instability such as exploding gradients that pushed the weights into a worse region; a change in the data stream can do the same.${lrs}${grad} Compare the step with your learning-rate schedule and checkpoints${w.loss ? '' : ' and with the loss of the same run'}; if nothing was changed on purpose, lower the learning rate, clip gradients, and check batch statistics (normalisation layers) around this point.`
    case 'divergence':
      return `${label} kept ${w.worsening} ${span}: training is diverging. ${w.dir === 1 ? `Sustained growth of ${w.loss ? 'the loss' : label}` : 'A sustained decline of a metric that should rise'} means each update makes the model worse, typically because the learning rate is too high for the current curvature (or has just been raised), gradients explode, or a numerical problem compounds.${lrs}${grad} Stop or roll back to a checkpoint before ${ev.startStep}, then lower the learning rate, add gradient clipping or a warm-up, and check for data or loss-function bugs (for example unnormalised inputs or a log of zero).`
    case 'non-finite':
      if (isDiagnosticTag(label)) {
        return `${label} is a diagnostic statistic of the optimiser, not a loss: it became NaN or infinite at step ${ev.startStep}, which happens when it is undefined for an update (a ratio with a zero denominator). Check the loss and the reward around this step; if they are normal, training is fine.`
      }
      if (!w.loss) {
        return `${label} became NaN or infinite at step ${ev.startStep}. It is not the loss: if the loss of the same run became non-finite at the same time, this is the same failure (read the loss's annotation: numerical overflow or an invalid operation in training, and the weights are probably corrupted). If the loss stayed finite, ${label} itself was undefined or overflowed at these points (a division by zero, an empty or degenerate evaluation set; with mixed precision, gradient statistics are infinite on the steps the loss scaler skips), and training may be fine.${grad} Check the loss around this step before acting on it.`
      }
      return `${label} became NaN or infinite at step ${ev.startStep}; nothing after that point is meaningful and the weights are probably corrupted. This comes from numerical overflow (a diverging loss, exploding gradients) or an invalid operation (log of 0, division by 0, a bad input value), and with mixed precision from a missing or broken loss scaling.${grad} Resume from the last good checkpoint with a lower learning rate and gradient clipping, and check the inputs and the loss for operations that can produce NaN.`
    case 'oscillation':
      return `${label} alternates up and down with a large amplitude ${span} instead of settling. Sustained high-amplitude alternation means the optimiser overshoots back and forth across a valley: the learning rate is too high for the curvature, or the batches are so small that each gradient points somewhere else.${lrs} Lower the learning rate (or add decay), increase the batch size, or tune momentum; a little noise is normal, this much is not.`
    case 'plateau':
      if (ev.causes.some(c => /learning-rate change: lowered/.test(c.cause))) {
        return `${label} made no progress ${span} and resumed ${w.improving} when the learning rate was lowered (see the evidence). The rate was too high to descend further: the optimiser kept bouncing between the walls of a valley instead of moving down it. A schedule that decays earlier or more smoothly (cosine, or reduce-on-plateau with a shorter patience) would have saved those steps.`
      }
      return `${label} made no progress ${span} and then resumed ${w.improving}. A long flat stretch in the middle of training usually means the optimiser sat near a saddle point or in a poor local minimum, or that the learning rate was too small to move on; it found its way out here, but the time was wasted. A learning-rate schedule with warm restarts, a larger initial rate with decay, or an adaptive optimiser shortens such stalls; better initialisation and normalisation help too.`
    case 'overfitting':
      return `The validation loss has been rising ${span} while the training loss kept falling: the model is overfitting, memorising the training set instead of learning what generalises. The best model was the one at the start of this stretch. Use early stopping on the validation loss (or restore that checkpoint), add regularisation (weight decay, dropout), more or augmented data, or a smaller model.`
    case 'lr-schedule':
      return `The learning rate changed ${span} as a schedule does (see the evidence), and ${label} did not get worse for it. This is information, not a problem: warm-up, decay and step schedules move the loss level on purpose.`
    case 'restart':
      return `The step counter of ${label} went back ${span}: a new process or a new fit() call started writing into the same run, so some steps now appear twice. TensorBoard would either draw a zig-zag or silently drop points; lossboard keeps every point and marks the restart. Nothing is wrong with training itself, but when comparing curves remember that the points after the restart come from the resumed run (check that its optimizer state and learning rate were restored).`
  }
}
