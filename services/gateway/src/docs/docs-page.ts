import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Swagger UI's assets, read once from the swagger-ui-dist package that @nestjs/swagger brings. */
export interface DocsAssets {
  html: string;
  files: Record<string, { body: Buffer; contentType: string }>;
}

export function loadDocsAssets(): DocsAssets {
  const root = dirname(require.resolve('swagger-ui-dist/package.json'));
  const asset = (name: string, contentType: string) => ({ body: readFileSync(join(root, name)), contentType });
  return {
    html: `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>ionet API</title>
  <link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
  <div id="docs"></div>
  <script src="/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/docs/assets/swagger-ui-standalone-preset.js"></script>
  <script src="/docs/assets/docs-init.js"></script>
</body>
</html>
`,
    files: {
      'swagger-ui.css': asset('swagger-ui.css', 'text/css; charset=utf-8'),
      'swagger-ui-bundle.js': asset('swagger-ui-bundle.js', 'text/javascript; charset=utf-8'),
      'swagger-ui-standalone-preset.js': asset('swagger-ui-standalone-preset.js', 'text/javascript; charset=utf-8'),
      // An external script, so the page works under a Content-Security-Policy without 'unsafe-inline'.
      'docs-init.js': {
        body: Buffer.from(
          "window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#docs', deepLinking: true, persistAuthorization: true, presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset], layout: 'StandaloneLayout' });\n",
        ),
        contentType: 'text/javascript; charset=utf-8',
      },
    },
  };
}
