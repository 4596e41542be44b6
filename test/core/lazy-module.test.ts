/** lazyModule (src/core/lazy-module.ts): imported once on load, refused before it, and a failed import is retried. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lazyModule } from '../../src/core/lazy-module.js';

describe('lazyModule', () => {
  it('refuses get() before load(), naming the component', () => {
    const lazy = lazyModule('exporter otlp', async () => ({ answer: 42 }));
    assert.throws(() => lazy.get(), /exporter otlp: its implementation is not loaded/);
  });

  it('imports once, however many loads run at once', async () => {
    let imports = 0;
    const lazy = lazyModule('exporter otlp', async () => ({ answer: ++imports }));
    await Promise.all([lazy.load(), lazy.load(), lazy.load()]);
    await lazy.load();
    assert.equal(imports, 1);
    assert.equal(lazy.get().answer, 1);
  });

  it('reports a failed import with the component, and imports again on the next load', async () => {
    let attempts = 0;
    const lazy = lazyModule('receiver zookeeper_session', async () => {
      if (++attempts === 1) throw new Error('Cannot find module');
      return { ready: true };
    });
    await assert.rejects(lazy.load(), /receiver zookeeper_session: could not load its implementation: Cannot find module/);
    assert.throws(() => lazy.get(), /not loaded/);
    await lazy.load();
    assert.equal(lazy.get().ready, true);
    assert.equal(attempts, 2);
  });
});
