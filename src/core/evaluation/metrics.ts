/** Classification metrics as the eval commands print them. */
export interface EvalReport {
  n: number;
  correct: number;
  accuracy: number;
  labels: string[];
  perClassRecall: Record<string, number>;
  /** confusion[true][predicted], counts. */
  confusion: number[][];
}

export function evaluate(labels: string[], truth: number[], predicted: number[]): EvalReport {
  if (truth.length !== predicted.length) throw new Error('truth and predictions differ in length');
  const k = labels.length;
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  let correct = 0;
  truth.forEach((t, i) => {
    confusion[t][predicted[i]]++;
    if (t === predicted[i]) correct++;
  });
  const perClassRecall: Record<string, number> = {};
  labels.forEach((l, i) => {
    const total = confusion[i].reduce((a, b) => a + b, 0);
    perClassRecall[l] = total ? round4(confusion[i][i] / total) : 0;
  });
  return { n: truth.length, correct, accuracy: truth.length ? round4(correct / truth.length) : 0, labels, perClassRecall, confusion };
}

const round4 = (v: number) => Math.round(v * 10000) / 10000;

/**
 * Expected calibration error: the gap between confidence and accuracy, averaged over `bins` equal-width
 * confidence bins weighted by how many predictions fall in each (Guo et al. 2017, 15 bins).
 */
export function expectedCalibrationError(confidence: number[], correct: boolean[], bins = 15): number {
  if (confidence.length !== correct.length) throw new Error('confidence and correctness differ in length');
  const n = confidence.length;
  if (n === 0) return 0;
  const sumConf = new Array<number>(bins).fill(0);
  const sumAcc = new Array<number>(bins).fill(0);
  const count = new Array<number>(bins).fill(0);
  confidence.forEach((c, i) => {
    const b = Math.min(bins - 1, Math.floor(c * bins));
    sumConf[b] += c;
    sumAcc[b] += correct[i] ? 1 : 0;
    count[b]++;
  });
  let ece = 0;
  for (let b = 0; b < bins; b++) if (count[b]) ece += Math.abs(sumAcc[b] - sumConf[b]) / n;
  return round4(ece);
}

/** The middle value (the upper one of an even count); NaN for none (null in JSON). */
export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  return [...values].sort((a, b) => a - b)[values.length >> 1];
}
