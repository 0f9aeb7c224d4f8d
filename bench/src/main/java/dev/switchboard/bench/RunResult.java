package dev.switchboard.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything one run produced: parameters, one row per step (one step unless --rate-steps), server
 * figures and warnings. Values are numbers, strings, booleans, null, lists or maps.
 */
public final class RunResult {
  public final String scenario;
  public final String startedAt;
  public final Map<String, Object> parameters = new LinkedHashMap<>();
  public final List<Map<String, Object>> rows = new ArrayList<>();
  public final Map<String, Object> summary = new LinkedHashMap<>();
  public final List<String> warnings = new ArrayList<>();

  /** Points for the latency-vs-load plot (relay and cross), or null. */
  public List<LatencyPlot.Point> plot;

  /** The baseline's points (relay with --baseline-url), or null. */
  public List<LatencyPlot.Point> basePlot;

  /** Per step, our figures as ratios of the baseline's (relay with --baseline-url). */
  public final List<Map<String, Object>> baseline = new ArrayList<>();

  public RunResult(String scenario, String startedAt) {
    this.scenario = scenario;
    this.startedAt = startedAt;
  }

  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("scenario", scenario);
    m.put("startedAt", startedAt);
    m.put("parameters", parameters);
    m.put("results", rows);
    if (!baseline.isEmpty()) {
      m.put("baseline", baseline);
    }
    m.put("summary", summary);
    m.put("warnings", warnings);
    return m;
  }
}
