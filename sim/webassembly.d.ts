/**
 * The part of the WebAssembly JavaScript API that the kernel uses. Node.js has it as a global,
 * but @types/node 20 does not declare it (TypeScript's DOM library would, with much else).
 */
declare namespace WebAssembly {
  class Memory {
    constructor(descriptor: { initial: number; maximum?: number });
    readonly buffer: ArrayBuffer;
    /** Adds `pages` pages of 64 KiB; views taken before it are detached. */
    grow(pages: number): number;
  }
  class Module {
    constructor(bytes: Uint8Array);
  }
  class Instance {
    constructor(module: Module, imports?: Record<string, Record<string, unknown>>);
    readonly exports: unknown;
  }
}
