import { AdapterBase, DEFAULT_CAPABILITIES, redactUrl, type Adapter, type AdapterCapabilities, type OpenOptions, type ProbeResult, type SourceSession, type TargetSession } from '@hesap/core';

/**
 * A bundled adapter whose package is loaded only when a location needs it: the MySQL
 * driver costs more start-up time than `hesap db status` may spend, so its package is
 * required on the first use of a `mysql://` or `mariadb://` URL.
 */
export class LazyAdapter extends AdapterBase {
  private real?: Adapter;

  constructor(
    readonly name: string,
    readonly schemes: readonly string[],
    private readonly load: () => Adapter,
  ) {
    super();
  }

  /** The package's adapter, loaded now. */
  resolve(): Adapter {
    this.real ??= this.load();
    return this.real;
  }

  override get capabilities(): AdapterCapabilities {
    return this.real?.capabilities ?? { ...DEFAULT_CAPABILITIES, source: true, target: true };
  }

  override describe(location: string): string {
    return this.real ? this.real.describe(location) : redactUrl(location);
  }

  override probe(location: string, options?: OpenOptions): Promise<ProbeResult> {
    return this.resolve().probe(location, options);
  }

  override openSource(location: string, options?: OpenOptions): Promise<SourceSession> {
    return this.resolve().openSource(location, options);
  }

  override openTarget(location: string, options?: OpenOptions): Promise<TargetSession> {
    return this.resolve().openTarget(location, options);
  }
}
