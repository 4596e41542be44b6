import type { ComponentFactory, ComponentKind } from './component.js';

/** Maps component types to factories, per kind. The core looks components up here and nowhere else. */
export class Registry {
  private readonly byKind = new Map<ComponentKind, Map<string, ComponentFactory>>();

  constructor(factories: readonly ComponentFactory[]) {
    for (const factory of factories) {
      let byType = this.byKind.get(factory.kind);
      if (!byType) this.byKind.set(factory.kind, (byType = new Map()));
      if (byType.has(factory.type)) throw new Error(`duplicate ${factory.kind} factory for type "${factory.type}"`);
      byType.set(factory.type, factory);
    }
  }

  get(kind: ComponentKind, type: string): ComponentFactory | undefined {
    return this.byKind.get(kind)?.get(type);
  }

  types(kind: ComponentKind): string[] {
    return [...(this.byKind.get(kind)?.keys() ?? [])].sort();
  }
}
