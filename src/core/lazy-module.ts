/**
 * A component's implementation module, imported when a configuration uses the component rather than when the
 * agent starts. Exporters such as OTLP and remote write pull in protobuf, gRPC and their own code: ~8-10 MB of
 * RSS in every agent that does not use them (measured at one target). The factory (type, config schema,
 * defaults) stays light and is always loaded, so every configuration is still checked against every component.
 */
export interface LazyModule<M> {
  /** Imports the module, once; the service awaits it for each component of a configuration before creating any. */
  load(): Promise<void>;
  /** The loaded module; throws when `load` has not completed. */
  get(): M;
}

export function lazyModule<M>(what: string, importModule: () => Promise<M>): LazyModule<M> {
  let loaded: M | undefined;
  let loading: Promise<void> | undefined;
  return {
    load: () =>
      (loading ??= importModule().then(
        (module) => void (loaded = module),
        (error: unknown) => {
          // A failed import may be tried again (a later reload).
          loading = undefined;
          throw new Error(`${what}: could not load its implementation: ${error instanceof Error ? error.message : String(error)}`);
        },
      )),
    get: () => {
      if (loaded === undefined) throw new Error(`${what}: its implementation is not loaded (await the factory's load() first)`);
      return loaded;
    },
  };
}
