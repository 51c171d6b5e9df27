import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { packageRoot } from '../playground/paths.js';

/** A file of the page, held in memory: the whole page is about 100 KiB. */
export interface Asset {
  contentType: string;
  body: Buffer;
  gzipped: Buffer;
  etag: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
};

/** The page's own files, in src/dashboard/assets/, by the path they are served at. */
const OWN = [
  'index.html',
  'dashboard.css',
  'app.js',
  'stream.js',
  'list.js',
  'timeline.js',
  'charts.js',
];

/**
 * Loads the page: its own files and uPlot from node_modules, so the page needs no CDN and
 * works offline. `index.html` learns the auth mode, so it can ask for a token in the cluster.
 */
export async function loadAssets(mode: 'local' | 'cluster'): Promise<Map<string, Asset>> {
  const ownDir = path.join(packageRoot(), 'src', 'dashboard', 'assets');
  const require = createRequire(import.meta.url);
  const files: Array<[string, string]> = [
    ...OWN.map((name): [string, string] => [`/${name}`, path.join(ownDir, name)]),
    ['/uPlot.min.js', require.resolve('uplot/dist/uPlot.iife.min.js')],
    ['/uPlot.min.css', require.resolve('uplot/dist/uPlot.min.css')],
  ];
  const assets = new Map<string, Asset>();
  for (const [route, file] of files) {
    let body = await readFile(file);
    if (route === '/index.html')
      body = Buffer.from(body.toString('utf8').replace('{{mode}}', mode));
    assets.set(route, {
      contentType: TYPES[path.extname(file)] ?? 'application/octet-stream',
      body,
      gzipped: gzipSync(body),
      etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
    });
  }
  const index = assets.get('/index.html');
  if (index) assets.set('/', index);
  return assets;
}
