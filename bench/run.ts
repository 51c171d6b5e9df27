import { controllerBenchmark } from './controller.js';
import { judgePowerBenchmark } from './judge-power.js';
import { loadtesterBenchmark } from './loadtester.js';
import { loadtesterFloodBenchmark } from './loadtester-flood.js';
import { scaleBenchmark } from './scale.js';
import { statusCostBenchmark } from './status-cost.js';

/** A benchmark prints its own lines; register new ones in `benchmarks`. */
export interface Benchmark {
  name: string;
  description: string;
  run(): Promise<string[]>;
}

const benchmarks: Benchmark[] = [
  loadtesterBenchmark,
  loadtesterFloodBenchmark,
  controllerBenchmark,
  judgePowerBenchmark,
  scaleBenchmark,
  statusCostBenchmark,
];

const wanted = process.argv.slice(2);
const selected =
  wanted.length === 0 ? benchmarks : benchmarks.filter((b) => wanted.includes(b.name));
if (selected.length === 0) {
  console.error(
    `no benchmark named ${wanted.join(', ')}; known: ${benchmarks.map((b) => b.name).join(', ')}`,
  );
  process.exit(2);
}
for (const benchmark of selected) {
  console.log(`## ${benchmark.name}: ${benchmark.description}`);
  for (const line of await benchmark.run()) console.log(line);
  console.log('');
}
