// Compiles the AssemblyScript sources of sim/assembly/ to WebAssembly beside the compiled
// JavaScript: 128-bit SIMD, no runtime or allocator, memory imported from the caller.
import { mkdirSync } from 'node:fs';
import asc from 'assemblyscript/asc';

mkdirSync('dist/sim', { recursive: true });
for (const name of ['chain']) {
  const { error, stderr } = await asc.main([
    `sim/assembly/${name}.ts`,
    '--outFile',
    `dist/sim/${name}.wasm`,
    '--runtime',
    'stub',
    '--importMemory',
    '--noAssert',
    '--use',
    'abort=',
    '--enable',
    'simd',
    '-O3',
  ]);
  if (error) {
    process.stderr.write(stderr.toString());
    process.exit(1);
  }
}
