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
