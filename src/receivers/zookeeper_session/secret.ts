import { inspect } from 'node:util';

const REDACTED = '<redacted>';

/**
 * A credential from the config. It prints as `<redacted>` however the config is printed (JSON, `util.inspect`,
 * template strings, logs), so only code that calls `reveal()` on purpose ever sees the value.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }
}
