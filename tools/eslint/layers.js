// @ts-check
import path from 'node:path';

/**
 * The `layers/imports` rule: every import of a product file must follow the layer arrows. A relative import is
 * resolved to the file it names and that file's layer must be one the importing layer may use; a package import is
 * checked against the layer's allowed packages (base: zod only, no Node built-ins).
 */

/**
 * @typedef {{ name: string, dir: string, may: string[], packages?: (spec: string) => boolean }} Layer
 * `dir` is a folder relative to the project root; the longest matching `dir` names a file's layer.
 */

/** @param {Layer[]} layers @param {string} root */
export function layersPlugin(layers, root) {
  const byDepth = [...layers].sort((a, b) => b.dir.length - a.dir.length);
  /** @param {string} file */
  const layerOf = (file) => {
    const rel = path.relative(root, file).split(path.sep).join('/');
    return byDepth.find((l) => rel === l.dir || rel.startsWith(l.dir + '/'));
  };
  return {
    rules: {
      imports: {
        meta: {
          type: 'problem',
          docs: { description: 'imports follow the layer arrows (docs/lint-and-layers.md)' },
          schema: [],
          messages: {
            layer: "{{from}} may not import {{to}} ('{{spec}}'): {{from}} may use {{may}}.",
            pkg: "{{from}} may not import the package '{{spec}}'.",
          },
        },
        /** @param {import('eslint').Rule.RuleContext} context */
        create(context) {
          const from = layerOf(context.filename);
          if (!from) return {};
          /** @param {import('estree').Node} node @param {unknown} value */
          const check = (node, value) => {
            if (typeof value !== 'string') return;
            if (value.startsWith('.')) {
              const to = layerOf(path.resolve(path.dirname(context.filename), value));
              if (!to || to === from || from.may.includes(to.name)) return;
              const may = from.may.length ? from.may.join(', ') : 'no other layer';
              context.report({ node, messageId: 'layer', data: { from: from.name, to: to.name, spec: value, may } });
            } else if (from.packages && !from.packages(value)) {
              context.report({ node, messageId: 'pkg', data: { from: from.name, spec: value } });
            }
          };
          return {
            ImportDeclaration: (n) => check(n.source, n.source.value),
            ExportNamedDeclaration: (n) => n.source && check(n.source, n.source.value),
            ExportAllDeclaration: (n) => check(n.source, n.source.value),
            ImportExpression: (n) => n.source.type === 'Literal' && check(n.source, n.source.value),
          };
        },
      },
    },
  };
}
