/** A full garbage collection from a test, without starting node with --expose-gc, and the live heap after one. */
import v8 from 'node:v8';
import vm from 'node:vm';

export function collectGarbage(): void {
  v8.setFlagsFromString('--expose-gc');
  (vm.runInNewContext('gc') as () => void)();
}

export function liveHeapBytes(): number {
  collectGarbage();
  return v8.getHeapStatistics().used_heap_size;
}
