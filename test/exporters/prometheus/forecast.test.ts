import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ScrapeForecast } from '../../../src/exporters/prometheus/forecast.js';

const arrivals = (forecast: ScrapeForecast, times: readonly number[], gzip = true) => times.forEach((at) => forecast.arrived(at, gzip));

describe('ScrapeForecast', () => {
  it('expects the next scrape one interval after the last, once three intervals agree', () => {
    const forecast = new ScrapeForecast();
    arrivals(forecast, [1_000, 2_000, 3_000]);
    assert.equal(forecast.next(), undefined, 'two intervals are not enough');
    arrivals(forecast, [4_000]);
    assert.deepEqual(forecast.next(), { at: 5_000, gzip: true, lateness: 100 });
    // The mean of the last three intervals (1,000, 1,000, 1,030), after the last scrape.
    arrivals(forecast, [5_030]);
    assert.deepEqual(forecast.next(), { at: 6_040, gzip: true, lateness: 101 });
  });

  it('expects nothing while the intervals differ by more than a tenth of their mean', () => {
    const forecast = new ScrapeForecast();
    arrivals(forecast, [0, 1_000, 2_000, 3_500]);
    assert.equal(forecast.next(), undefined);
    // Once the odd interval has left the last three, the steady ones count again.
    arrivals(forecast, [4_500, 5_500, 6_500]);
    assert.deepEqual(forecast.next(), { at: 7_500, gzip: true, lateness: 100 });
  });

  it('starts over when the scrapes change encoding, and says which one to expect', () => {
    const forecast = new ScrapeForecast();
    arrivals(forecast, [0, 100, 200, 300]);
    arrivals(forecast, [400], false);
    assert.equal(forecast.next(), undefined);
    arrivals(forecast, [500, 600, 700], false);
    assert.deepEqual(forecast.next(), { at: 800, gzip: false, lateness: 10 });
  });

  it('expects nothing from scrapes that all came at once', () => {
    const forecast = new ScrapeForecast();
    arrivals(forecast, [5, 5, 5, 5, 5]);
    assert.equal(forecast.next(), undefined);
  });
});
