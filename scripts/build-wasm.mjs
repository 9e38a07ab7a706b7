// Compiles the WebAssembly text sources of sim/ to binaries beside the compiled JavaScript.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import wabtInit from 'wabt';

const wabt = await wabtInit();
for (const name of ['product']) {
  const source = `sim/${name}.wat`;
  const module = wabt.parseWat(source, readFileSync(source, 'utf8'), { simd: true });
  module.validate();
  mkdirSync('dist/sim', { recursive: true });
  writeFileSync(`dist/sim/${name}.wasm`, module.toBinary({}).buffer);
  module.destroy();
}
