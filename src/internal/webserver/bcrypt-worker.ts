/** Runs bcrypt comparisons for `BcryptPool` off the main thread: one message in, one answer out. */
import { parentPort } from 'node:worker_threads';
import bcrypt from 'bcryptjs';

parentPort!.on('message', ({ id, password, hash }: { id: number; password: string; hash: string }) => {
  let matches = false;
  try {
    matches = bcrypt.compareSync(password, hash);
  } catch {
    // A malformed hash matches nothing; web-config.ts refuses those already.
  }
  parentPort!.postMessage({ id, matches });
});
