import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The page's own CSS, JS and icon, read once at start-up from src/web/assets
 * and served from memory: no network at run time, no path from the request
 * ever reaches the file system.
 */
export interface Asset {
  body: Buffer;
  contentType: string;
  etag: string;
}

const assetTypes: Record<string, string> = {
  'status.css': 'text/css; charset=utf-8',
  'status.js': 'text/javascript; charset=utf-8',
  'icon.svg': 'image/svg+xml',
};

export const defaultAssetsDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'assets');

export function loadAssets(dir: string = defaultAssetsDir): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  for (const [name, contentType] of Object.entries(assetTypes)) {
    let body: Buffer;
    try {
      body = readFileSync(path.join(dir, name));
    } catch (error) {
      throw new Error(
        `The status page asset ${name} is missing from ${dir}; ship src/web/assets with the app`,
        { cause: error },
      );
    }
    const etag = `"${createHash('sha256').update(body).digest('hex').slice(0, 20)}"`;
    assets.set(name, { body, contentType, etag });
  }
  return assets;
}
