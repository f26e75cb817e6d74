import * as fs from 'fs';
import * as path from 'path';

/**
 * The S3 object keys the asset manifests (`*.assets.json`) of a directory publish a file under,
 * e.g. a nested stack's template. Undefined when no manifest names the file (CDK's legacy
 * synthesizer passes asset locations as parameters instead).
 */
export function publishedObjectKeys(dir: string, fileName: string): string[] | undefined {
  const keys: string[] = [];
  let named = false;
  for (const manifest of assetManifests(dir)) {
    for (const asset of Object.values(manifest.files ?? {})) {
      if (asset?.source?.path !== fileName) continue;
      named = true;
      for (const destination of Object.values(asset.destinations ?? {})) {
        if (typeof destination?.objectKey === 'string') keys.push(destination.objectKey);
      }
    }
  }
  return named ? keys : undefined;
}

interface AssetManifest {
  readonly files?: Record<
    string,
    { source?: { path?: unknown }; destinations?: Record<string, { objectKey?: unknown }> } | undefined
  >;
}

function assetManifests(dir: string): AssetManifest[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir).filter((name) => name.endsWith('.assets.json'));
  } catch {
    return [];
  }
  return names.flatMap((name) => {
    try {
      return [JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8')) as AssetManifest];
    } catch {
      return [];
    }
  });
}
