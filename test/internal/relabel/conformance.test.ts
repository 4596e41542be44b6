import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileRelabelConfigs, type NameValidationScheme, type RelabelConfig } from '../../../src/index.js';
import { readFixture } from '../../harness/fixtures.js';

/** Prometheus's TestRelabel cases as data (test/fixtures/relabel/relabel-upstream.json, copied from the shared set). */
interface ConformanceCase {
  readonly name: string;
  readonly tags: readonly string[];
  readonly name_validation_scheme: NameValidationScheme;
  readonly input: Record<string, string>;
  readonly configs: readonly RelabelConfig[];
  readonly output: Record<string, string> | null;
}

const cases = JSON.parse(readFixture('relabel/relabel-upstream.json')) as ConformanceCase[];

describe(`Prometheus TestRelabel conformance (${cases.length} cases)`, () => {
  it('has the cases', () => assert.ok(cases.length >= 34, `only ${cases.length} cases`));
  for (const testCase of cases) {
    const tags = testCase.tags.length > 0 ? ` [${testCase.tags.join(', ')}]` : '';
    it(`${testCase.name}${tags}`, () => {
      const relabel = compileRelabelConfigs(testCase.configs, { nameValidationScheme: testCase.name_validation_scheme });
      const output = relabel(testCase.input);
      assert.deepEqual(output, testCase.output === null ? null : { ...testCase.output });
      if (output) assert.deepEqual(Object.keys(output), Object.keys(output).sort(), 'labels come out sorted by name, as Prometheus returns them');
    });
  }
});
