import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { settingsTable } from '../../src/config/docs.ts';
import { settingNames } from '../../src/config/schema.ts';

describe('configuration docs', () => {
  const docs = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

  it('docs/configuration.md holds the table generated from the schema', () => {
    expect(docs).to.include(settingsTable());
  });

  it('the README names every setting', () => {
    for (const name of settingNames) expect(readme, name).to.include(`\`${name}\``);
  });
});
