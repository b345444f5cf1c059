import { HesapCommand } from '../base-command';

export interface VersionResult {
  name: string;
  version: string;
  node: string;
  platform: string;
  arch: string;
}

export default class Version extends HesapCommand<VersionResult> {
  static override summary = 'Show the version of hesap, Node.js and the platform.';
  static override examples = ['<%= config.bin %> version', '<%= config.bin %> version --json', '<%= config.bin %> --version'];

  protected async execute(): Promise<VersionResult> {
    await this.parseFlags(Version);
    return { name: this.config.name, version: this.config.version, node: process.versions.node, platform: process.platform, arch: process.arch };
  }

  protected render(): void {
    this.out.line(this.config.userAgent);
  }
}
