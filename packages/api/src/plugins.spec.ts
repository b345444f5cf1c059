import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AdapterBase, AdapterRegistry } from '@hesap/core';
import { adapterFromModule, loadAdapterPlugins } from './plugins';
import { pluginSources } from './registry';

class SampleAdapter extends AdapterBase {
  readonly name = 'sample';
  readonly schemes = ['sample'] as const;
}

describe('adapter plugins', () => {
  it.each([
    ['an instance as default export', { default: new SampleAdapter() }],
    ['a class as default export', { default: SampleAdapter }],
    ['an `adapter` export', { adapter: new SampleAdapter() }],
    ['CommonJS wrapped once more by import()', { default: { default: SampleAdapter } }],
    ['CommonJS `adapter` wrapped by import()', { default: { adapter: new SampleAdapter() } }],
  ])('takes %s', (_, module) => {
    expect(adapterFromModule(module as Record<string, unknown>, 'hesap-adapter-sample').name).toBe('sample');
  });

  it('refuses a module that exports no adapter', () => {
    expect(() => adapterFromModule({ default: { name: 'x' } }, 'not-an-adapter')).toThrow('The adapter package "not-an-adapter" exports no adapter.');
  });

  it('registers the packages a project names, once, after the built-in adapters', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hesap-plugins-'));
    try {
      const pkg = path.join(dir, 'node_modules', 'hesap-adapter-sample');
      fs.mkdirSync(pkg, { recursive: true });
      fs.writeFileSync(path.join(pkg, 'index.js'), `exports.adapter = { name: 'sample', schemes: ['sqlite'], capabilities: {}, accepts: (l) => l.startsWith('sqlite:'), openSource() {}, openTarget() {} };`);
      fs.writeFileSync(path.join(dir, 'hesap.config.json'), JSON.stringify({ adapters: ['hesap-adapter-sample'] }));
      class BuiltIn extends AdapterBase {
        readonly name = 'builtin';
        readonly schemes = ['sqlite'] as const;
      }
      const registry = new AdapterRegistry().register(new BuiltIn());
      expect((await loadAdapterPlugins(registry, dir)).map((a) => a.name)).toEqual(['sample']);
      expect(await loadAdapterPlugins(registry, dir)).toEqual([]);
      // Registered last, the plugin takes over the scheme it shares with a built-in adapter.
      expect(registry.forLocation('sqlite:app.db').name).toBe('sample');
      expect(pluginSources.get('sample')).toBe('hesap-adapter-sample');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
