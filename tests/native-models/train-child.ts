// Child process for the SIGKILL test: trains the shared tiny spec with checkpoints, printing each step.
// Steps are slowed a little so the parent's kill lands between two checkpoints.
import { runTraining } from '../../native-models/runtime/train-loop.js';
import { tinySpec } from './fixtures.js';

const path = process.argv[2];
await runTraining(tinySpec({ steps: 12, checkpoint: { path, every: 4 } }), {
  onStep: (r) => {
    process.stdout.write(`step ${r.step}\n`);
    const until = Date.now() + 40;
    while (Date.now() < until) {
      /* pace the steps */
    }
  },
});
