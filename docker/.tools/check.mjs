// Offline validators for the deployment files in docker/, run by DeploymentFilesIT.
// Install once with `npm ci --prefix docker/.tools` (.ci/run does it); nothing is downloaded here.
//
//   node docker/.tools/check.mjs k8s FILE...
//     validates every document of every file against the JSON schema of its apiVersion/kind,
//     generated from the Kubernetes OpenAPI spec (package kubernetes-models): required fields,
//     types, enums and formats. Unknown fields are caught by the Java side (fabric8 models).
//   node docker/.tools/check.mjs promql DASHBOARD.json
//     parses every PromQL query of a Grafana dashboard with Prometheus's own lezer grammar and
//     prints a JSON array of {panel, expr, metrics, error}: the metric names the query selects.
//
// Exit status: 0 when everything is valid, 1 when something is not, 2 on bad usage.
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";
import { parser } from "@prometheus-io/lezer-promql";

async function checkKubernetes(files) {
  let failures = 0;
  for (const file of files) {
    const documents = parseAllDocuments(readFileSync(file, "utf8"));
    for (const [index, document] of documents.entries()) {
      const where = `${file}#${index + 1}`;
      if (document.errors.length > 0) {
        console.log(`${where}: invalid YAML: ${document.errors.map((e) => e.message).join("; ")}`);
        failures++;
        continue;
      }
      const object = document.toJS();
      if (object === null || object === undefined) continue;
      const { apiVersion, kind } = object;
      let model;
      try {
        model = (await import(`kubernetes-models/${apiVersion}`))[kind];
      } catch {
        model = undefined;
      }
      if (typeof apiVersion !== "string" || typeof kind !== "string" || model === undefined) {
        console.log(`${where}: unknown apiVersion/kind ${apiVersion}/${kind}`);
        failures++;
        continue;
      }
      const name = `${kind}/${object.metadata?.name}`;
      try {
        new model(object).validate();
        console.log(`${where}: ${name} valid`);
      } catch (error) {
        console.log(`${where}: ${name} INVALID: ${error.message}`);
        failures++;
      }
    }
  }
  return failures === 0;
}

/** Grafana's interval variables are not PromQL: give them a duration before parsing. */
function withoutGrafanaIntervals(expr) {
  return expr.replace(/\$\{?__(rate_interval|interval|range)\}?/g, "5m");
}

function queries(panels, found = []) {
  for (const panel of panels ?? []) {
    for (const target of panel.targets ?? []) {
      if (typeof target.expr === "string") found.push({ panel: panel.title, expr: target.expr });
    }
    queries(panel.panels, found);
  }
  return found;
}

function parsePromql(expr) {
  const text = withoutGrafanaIntervals(expr);
  const metrics = new Set();
  let error = null;
  parser.parse(text).iterate({
    enter(node) {
      if (node.type.isError && error === null) {
        error = `syntax error at ${node.from}: ${JSON.stringify(text.slice(node.from, node.from + 20))}`;
      }
      if (node.name === "Identifier" && node.node.parent?.name === "VectorSelector") {
        metrics.add(text.slice(node.from, node.to));
      }
    },
  });
  return { metrics: [...metrics].sort(), error };
}

function checkPromql(file) {
  const dashboard = JSON.parse(readFileSync(file, "utf8"));
  const results = queries(dashboard.panels).map((q) => ({ ...q, ...parsePromql(q.expr) }));
  console.log(JSON.stringify(results, null, 2));
  return results.length > 0 && results.every((r) => r.error === null);
}

const [command, ...args] = process.argv.slice(2);
if (command === "k8s" && args.length > 0) {
  process.exitCode = (await checkKubernetes(args)) ? 0 : 1;
} else if (command === "promql" && args.length === 1) {
  process.exitCode = checkPromql(args[0]) ? 0 : 1;
} else {
  console.error("usage: check.mjs k8s FILE... | check.mjs promql DASHBOARD.json");
  process.exitCode = 2;
}
