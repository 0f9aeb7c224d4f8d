package dev.switchboard.bench;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Renders a {@link RunResult} as Markdown: parameters, a results table (one row per step), summary,
 * warnings.
 */
public final class MarkdownWriter {
  private MarkdownWriter() {}

  public static String render(RunResult r) {
    StringBuilder sb = new StringBuilder();
    sb.append("# Switchboard bench: ").append(r.scenario).append("\n\n");
    sb.append("Started ").append(r.startedAt).append(".\n\n");
    sb.append("## Parameters\n\n");
    sb.append(keyValueTable(r.parameters));
    sb.append("\n## Results\n\n");
    sb.append(table(r.rows));
    if (!r.baseline.isEmpty()) {
      sb.append("\n## Against the baseline\n\n")
          .append(
              "cpuEfficiency = baseline CPU per message / ours (1 = as cheap as the bare endpoint);"
                  + " deliveredRatio and p99Ratio = ours / baseline.\n\n")
          .append(table(r.baseline));
    }
    if (!r.summary.isEmpty()) {
      sb.append("\n## Summary\n\n").append(keyValueTable(r.summary));
    }
    sb.append("\n## Warnings\n\n");
    if (r.warnings.isEmpty()) {
      sb.append("None.\n");
    } else {
      for (String w : r.warnings) {
        sb.append("- ").append(escape(w)).append('\n');
      }
    }
    return sb.toString();
  }

  public static String keyValueTable(Map<String, Object> m) {
    StringBuilder sb = new StringBuilder("| name | value |\n|---|---|\n");
    for (Map.Entry<String, Object> e : m.entrySet()) {
      sb.append("| ")
          .append(escape(e.getKey()))
          .append(" | ")
          .append(cell(e.getValue()))
          .append(" |\n");
    }
    return sb.toString();
  }

  /** One column per key found in any row, in first-seen order; a missing cell is empty. */
  public static String table(List<Map<String, Object>> rows) {
    if (rows.isEmpty()) {
      return "(no rows)\n";
    }
    Set<String> cols = new LinkedHashSet<>();
    for (Map<String, Object> row : rows) {
      cols.addAll(row.keySet());
    }
    List<String> c = new ArrayList<>(cols);
    StringBuilder sb = new StringBuilder("|");
    for (String col : c) {
      sb.append(' ').append(escape(col)).append(" |");
    }
    sb.append("\n|");
    for (int i = 0; i < c.size(); i++) {
      sb.append("---:|");
    }
    sb.append('\n');
    for (Map<String, Object> row : rows) {
      sb.append('|');
      for (String col : c) {
        sb.append(' ').append(row.containsKey(col) ? cell(row.get(col)) : "").append(" |");
      }
      sb.append('\n');
    }
    return sb.toString();
  }

  static String cell(Object v) {
    if (v == null) {
      return "-";
    }
    if (v instanceof Double || v instanceof Float) {
      double d = ((Number) v).doubleValue();
      if (Double.isNaN(d) || Double.isInfinite(d)) {
        return "-";
      }
      if (d == Math.rint(d) && Math.abs(d) < 1e15) {
        return Long.toString((long) d);
      }
      return Math.abs(d) >= 100
          ? String.format(Locale.ROOT, "%.1f", d)
          : String.format(Locale.ROOT, "%.3f", d);
    }
    return escape(String.valueOf(v));
  }

  private static String escape(String s) {
    return s.replace("|", "\\|").replace("\n", " ");
  }
}
