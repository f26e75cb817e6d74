import * as path from 'path';
import type { StackTemplate } from '../engine/template';
import { readTextFile } from './files';
import { InputError } from './input-error';
import { parseTemplateText } from './template-text';
import { JudgedInput, ReadOptions } from './types';

/**
 * Plain CloudFormation template files (JSON or YAML). Each is a stack whose id is its file name
 * without the extension and CDK's `.template` suffix (`templates/app.yaml` and
 * `cdk.out/App.template.json` are `app` and `App`), environment-agnostic; there is no
 * construct tree, so no acknowledgements and no source lines, and nested stacks stay unopened.
 */
export function readTemplateFiles(files: readonly string[], options: ReadOptions): JudgedInput {
  if (files.length === 0) throw new InputError('no template files given');
  const stacks: StackTemplate[] = [];
  const templateFiles = new Map<string, string>();
  for (const file of files) {
    const stackId = stackIdOf(file);
    const earlier = templateFiles.get(stackId);
    if (earlier !== undefined) {
      throw new InputError(
        `${file}: its stack id '${stackId}' (the file name) is taken by ${earlier}; rename one`,
      );
    }
    const template = parseTemplateText(readTextFile(file), file, { requireResources: true });
    stacks.push({ stackId, template, rating: options.rating, ratingSource: options.ratingSource });
    templateFiles.set(stackId, file);
  }
  return {
    stacks,
    templateFiles,
    waiverFor: () => undefined,
    sourceOf: () => undefined,
    constructPathOf: (stackId, logicalId) => {
      const resource = stacks.find((s) => s.stackId === stackId)?.template.Resources?.[logicalId];
      const constructPath = resource?.Metadata?.['aws:cdk:path'];
      return typeof constructPath === 'string' ? constructPath : undefined;
    },
  };
}

function stackIdOf(file: string): string {
  const name = path.basename(file, path.extname(file));
  return name.replace(/\.template$/, '') || name;
}
