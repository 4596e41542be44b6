/** Reads the Prometheus text format the agent serves, for assertions on series. */
export interface Series {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const SAMPLE_LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: \d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parseExposition(text: string): Series[] {
  const series: Series[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = SAMPLE_LINE.exec(line);
    if (!match) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(LABEL)) labels[key!] = JSON.parse(`"${value}"`) as string;
    series.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return series;
}

/** GET and parse `url`; with `timeoutMs`, a scrape that takes longer fails (as Prometheus's scrape_timeout does). */
export async function scrape(url: string, options: { timeoutMs?: number } = {}): Promise<{ text: string; series: Series[]; contentType: string | null }> {
  const response = await fetch(url, options.timeoutMs === undefined ? {} : { signal: AbortSignal.timeout(options.timeoutMs) });
  if (response.status !== 200) throw new Error(`GET ${url}: HTTP ${response.status}`);
  const text = await response.text();
  return { text, series: parseExposition(text), contentType: response.headers.get('content-type') };
}

/** Series of `name` whose labels include every given label. */
export function select(series: readonly Series[], name: string, labels: Record<string, string> = {}): Series[] {
  return series.filter((s) => s.name === name && Object.entries(labels).every(([key, value]) => s.labels[key] === value));
}
