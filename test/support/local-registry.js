'use strict';
/**
 * A minimal npm registry on loopback that serves the given package tarballs (packuments and tarballs,
 * nothing else): stands in for npmjs.org for packages that are built here but not published yet (our
 * @lightexnet/onnxruntime-<os>-<cpu> runtime packages), so the install test can point one scope at it.
 */
const { execFileSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');

function readManifest(tgz) {
  return JSON.parse(execFileSync('tar', ['-xzOf', tgz, 'package/package.json'], { encoding: 'utf8' }));
}

/** Starts serving `tarballs` on 127.0.0.1; resolves to { url, close(), requests } once listening. */
function startLocalRegistry(tarballs) {
  const byName = new Map();
  const files = new Map();
  for (const tgz of tarballs) {
    const pkg = readManifest(tgz);
    const bytes = fs.readFileSync(tgz);
    const file = `${pkg.name}/-/${path.basename(tgz)}`;
    files.set(file, bytes);
    const entry = byName.get(pkg.name) ?? { name: pkg.name, 'dist-tags': {}, versions: {} };
    entry['dist-tags'].latest = pkg.version;
    entry.versions[pkg.version] = {
      ...pkg,
      _id: `${pkg.name}@${pkg.version}`,
      dist: {
        tarball: file, // made absolute per request below
        integrity: `sha512-${crypto.createHash('sha512').update(bytes).digest('base64')}`,
        shasum: crypto.createHash('sha1').update(bytes).digest('hex'),
      },
    };
    byName.set(pkg.name, entry);
  }
  const requests = [];
  const server = http.createServer((req, res) => {
    const url = decodeURIComponent(req.url.split('?')[0]).replace(/^\/+/, '');
    requests.push(url);
    if (files.has(url)) {
      res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
      return res.end(files.get(url));
    }
    const entry = byName.get(url);
    if (!entry) {
      res.writeHead(404, { 'Content-Type': 'application/json' });
      return res.end('{"error":"not found"}');
    }
    const base = `http://${req.headers.host}/`;
    const doc = structuredClone(entry);
    for (const v of Object.values(doc.versions)) v.dist.tarball = base + v.dist.tarball;
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(doc));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${server.address().port}/`,
        requests,
        close: () => new Promise((r) => server.close(r)),
      }),
    );
  });
}

module.exports = { startLocalRegistry };
