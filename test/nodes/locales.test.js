'use strict';
/**
 * Editor text: every data-i18n key an editor uses exists in en-US, German and Japanese have the same keys,
 * and each node's help lives in locales/<lang>/<node>.html in English, German and Japanese.
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { ROOT } = require('../support/paths');

const NODES = path.join(ROOT, 'nodes');
const LOCALES = path.join(NODES, 'locales');
const sets = fs
  .readdirSync(NODES)
  .filter((f) => f.endsWith('.html'))
  .map((f) => f.replace(/\.html$/, ''));
const keysOf = (obj, prefix = '') =>
  Object.entries(obj).flatMap(([k, v]) => (typeof v === 'object' ? keysOf(v, `${prefix}${k}.`) : [`${prefix}${k}`]));

describe('editor locales', () => {
  for (const set of sets) {
    it(`${set}: every label key exists in en-US, de and ja have the same keys, help in en-US, de and ja`, () => {
      const html = fs.readFileSync(path.join(NODES, `${set}.html`), 'utf8');
      const en = JSON.parse(fs.readFileSync(path.join(LOCALES, 'en-US', `${set}.json`), 'utf8'));
      const enKeys = keysOf(en).sort();
      for (const m of html.matchAll(/data-i18n="(?:\[[a-z]+\])?([^"]+)"/g)) assert.ok(enKeys.includes(m[1]), `${m[1]} is in en-US`);
      for (const lang of ['de', 'ja']) {
        const other = JSON.parse(fs.readFileSync(path.join(LOCALES, lang, `${set}.json`), 'utf8'));
        assert.deepEqual(keysOf(other).sort(), enKeys, `${lang} has the same keys`);
        assert.ok(
          keysOf(other).every((k) => String(k.split('.').reduce((o, p) => o[p], other)).trim()),
          `${lang}: no empty text`,
        );
      }
      const help = fs.readFileSync(path.join(LOCALES, 'en-US', `${set}.html`), 'utf8');
      assert.match(help, /data-help-name="lightexnet-/);
      // German and Japanese help: the same node, and the same message properties documented.
      const props = (h) => [...h.matchAll(/<dt[^>]*>([^<]+)</g)].map((m) => m[1].trim());
      for (const lang of ['de', 'ja']) {
        const translated = fs.readFileSync(path.join(LOCALES, lang, `${set}.html`), 'utf8');
        assert.equal(
          /data-help-name="([^"]+)"/.exec(translated)?.[1],
          /data-help-name="([^"]+)"/.exec(help)[1],
          `${lang} help names the node`,
        );
        assert.deepEqual(props(translated), props(help), `${lang} help documents the same properties`);
        assert.ok(
          translated.replace(/<[^>]+>/g, '').length > (0.5 * help.replace(/<[^>]+>/g, '').length) / (lang === 'ja' ? 2.5 : 1),
          `${lang} help is whole`,
        );
      }
      assert.doesNotMatch(html, /data-help-name/, 'help is not inline in the node HTML');
    });
  }
});
