/**
 * Lets a process exit cleanly while inference workers are busy. When a process exits (process.exit, or
 * Node-RED after an uncaught exception), Node stops its worker threads wherever they are. A worker stopped
 * inside an onnxruntime-node call (a session being opened, or run) has the binding throw into a torn-down
 * environment, and the whole process aborts ("terminate called after throwing an instance of 'Napi::Error'",
 * SIGABRT) instead of exiting with its code.
 *
 * Each worker shares a gate with the calling thread: a count of requests it is handling and an "exiting" flag.
 * On 'exit' the calling thread raises every flag, then waits (at most EXIT_WAIT_MS) for the counts to reach 0;
 * a worker counts a request in before it checks the flag, so a request either is counted (and waited for) or
 * sees the flag (and starts nothing native). Both sides use sequentially consistent Atomics.
 */

const BUSY = 0;
const EXITING = 1;
/** Long enough for a session to open natively (~0.1-0.5 s), short enough not to hang an exit. */
export const EXIT_WAIT_MS = 5000;

export type ExitGate = Int32Array;

/** A gate for one worker: pass `gate.buffer` (a SharedArrayBuffer) in its workerData. */
export function createExitGate(): ExitGate {
  return new Int32Array(new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT));
}

const gates = new Set<ExitGate>();
let hooked = false;

/** The calling thread's side: waits for this worker at exit, until `forget`. */
export function guardExit(gate: ExitGate): { forget(): void } {
  gates.add(gate);
  if (!hooked) {
    hooked = true;
    process.on('exit', waitForWorkers);
  }
  return { forget: () => void gates.delete(gate) };
}

function waitForWorkers(): void {
  for (const g of gates) Atomics.store(g, EXITING, 1);
  const deadline = Date.now() + EXIT_WAIT_MS;
  for (const g of gates) {
    for (let busy = Atomics.load(g, BUSY); busy !== 0; busy = Atomics.load(g, BUSY)) {
      const left = deadline - Date.now();
      if (left <= 0) return;
      Atomics.wait(g, BUSY, busy, left);
    }
  }
}

/** Thrown in a worker for a request that arrives while the process exits. */
export class ProcessExitingError extends Error {
  constructor() {
    super('the process is exiting');
    this.name = 'ProcessExitingError';
  }
}

/** The worker's side: runs one request counted in, or refuses it once the process is exiting. */
export async function withinGate<T>(gate: ExitGate | undefined, work: () => Promise<T>): Promise<T> {
  if (!gate) return work();
  Atomics.add(gate, BUSY, 1);
  try {
    if (Atomics.load(gate, EXITING) !== 0) throw new ProcessExitingError();
    return await work();
  } finally {
    Atomics.sub(gate, BUSY, 1);
    Atomics.notify(gate, BUSY);
  }
}
