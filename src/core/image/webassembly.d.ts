/**
 * The part of the WebAssembly JavaScript API that resample-wasm.ts uses: Node has it as a global, but
 * @types/node 20 does not declare it and the DOM library (which does) does not belong in a Node package.
 */
declare namespace WebAssembly {
  // eslint-disable-next-line @typescript-eslint/no-extraneous-class -- an opaque handle, as the real API's
  class Module {
    constructor(bytes: Uint8Array);
  }
  class Instance {
    constructor(module: Module, imports: Record<string, unknown>);
    readonly exports: Record<string, unknown>;
  }
  class Memory {
    readonly buffer: ArrayBuffer;
    grow(pages: number): number;
  }
}
