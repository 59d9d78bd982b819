/**
 * A readable, self-contained API reference rendered from the OpenAPI document (no CDN, so it
 * works offline under `npm start`). The document itself is at /v1/openapi.json.
 */
interface OpenApiLike {
  info: { title: string; description?: string };
  paths?: Record<string, Record<string, OperationLike | undefined> | undefined>;
  components?: { schemas?: Record<string, unknown> };
}
interface OperationLike {
  summary?: string;
  description?: string;
  tags?: string[];
  requestBody?: { content?: Record<string, { schema?: unknown }> };
}

const escape = (text: string) =>
  text.replace(/[&<>"]/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[ch] ?? ch);

export function renderDocsPage(document: unknown): string {
  const doc = document as OpenApiLike;
  const byTag = new Map<string, string[]>();
  for (const [path, operations] of Object.entries(doc.paths ?? {})) {
    for (const [method, op] of Object.entries(operations ?? {})) {
      if (!op || typeof op !== "object" || !("responses" in op)) continue;
      const tag = op.tags?.[0] ?? "Other";
      const body = op.requestBody?.content?.["application/json"]?.schema;
      const rows = byTag.get(tag) ?? [];
      rows.push(`<section class="op">
  <h3><span class="m ${method}">${method.toUpperCase()}</span> <code>${escape(path)}</code></h3>
  <p>${escape(op.summary ?? "")}</p>${op.description ? `
  <p class="desc">${escape(op.description)}</p>` : ""}
  ${body ? `<details><summary>Request body</summary><pre>${escape(JSON.stringify(body, null, 2))}</pre></details>` : ""}
</section>`);
      byTag.set(tag, rows);
    }
  }
  const schemas = Object.entries(doc.components?.schemas ?? {})
    .map(([name, schema]) => `<details><summary>${escape(name)}</summary><pre>${escape(JSON.stringify(schema, null, 2))}</pre></details>`)
    .join("\n");
  const sections = [...byTag.entries()].map(([tag, rows]) => `<h2 id="${escape(tag)}">${escape(tag)}</h2>\n${rows.join("\n")}`).join("\n");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(doc.info.title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:15px/1.5 system-ui,sans-serif;max-width:960px;margin:2rem auto;padding:0 1rem;color:#1a1a1a}
code,pre{font-family:ui-monospace,monospace}pre{background:#f5f5f7;padding:.75rem;overflow:auto;border-radius:6px}
.op{border-top:1px solid #e5e5e5;padding:.5rem 0}.m{display:inline-block;min-width:4.2rem;font-size:.8rem;padding:.1rem .4rem;border-radius:4px;color:#fff;text-align:center}
.desc{color:#555;margin-top:-.5rem}.get{background:#2f7d32}.post{background:#1565c0}.patch{background:#8e24aa}.delete{background:#c62828}
</style></head><body>
<h1>${escape(doc.info.title)}</h1>
<p>${escape(doc.info.description ?? "")}</p>
<p>Authenticate with <code>Authorization: Bearer &lt;key&gt;</code>. Every POST accepts <code>Idempotency-Key</code>.
Errors are <code>{"error":{"type","code","message","param"}}</code>. The machine-readable contract is
<a href="/v1/openapi.json">/v1/openapi.json</a> (OpenAPI 3.1).</p>
${sections}
<h2>Schemas</h2>
${schemas}
</body></html>`;
}
