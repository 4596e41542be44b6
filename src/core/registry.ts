import type { ComponentFactory, ComponentKind, ReceiverFactory } from './component.js';

/**
 * Maps component types to factories, per kind. The core looks components up here and nowhere else. Receivers are
 * created with `receiverAttributes`, the union of what every receiver factory declares it sets, so that discovery
 * checks target labels against all of them.
 */
export class Registry {
  private readonly byKind = new Map<ComponentKind, Map<string, ComponentFactory>>();
  private readonly attributesOfReceivers: ReadonlySet<string>;

  constructor(factories: readonly ComponentFactory[]) {
    const receivers = factories.filter((factory): factory is ReceiverFactory => factory.kind === 'receiver');
    this.attributesOfReceivers = new Set(receivers.flatMap((factory) => factory.attributes));
    for (const declared of factories) {
      const factory = declared.kind === 'receiver' ? this.withReceiverAttributes(declared) : declared;
      let byType = this.byKind.get(factory.kind);
      if (!byType) this.byKind.set(factory.kind, (byType = new Map()));
      if (byType.has(factory.type)) throw new Error(`duplicate ${factory.kind} factory for type "${factory.type}"`);
      byType.set(factory.type, factory);
    }
  }

  get(kind: ComponentKind, type: string): ComponentFactory | undefined {
    return this.byKind.get(kind)?.get(type);
  }

  /** Every attribute some receiver of this registry sets on its samples. */
  receiverAttributes(): ReadonlySet<string> {
    return this.attributesOfReceivers;
  }

  private withReceiverAttributes<T>(factory: ReceiverFactory<T>): ReceiverFactory<T> {
    return {
      ...factory,
      createReceiver: (settings, config) => factory.createReceiver({ receiverAttributes: this.attributesOfReceivers, ...settings }, config),
    };
  }

  types(kind: ComponentKind): string[] {
    return [...(this.byKind.get(kind)?.keys() ?? [])].sort();
  }
}
