package dev.switchboard.bench;

import java.util.LinkedHashMap;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * Percentiles of a latency histogram recorded in microseconds, reported in milliseconds. {@code
 * count == 0} gives NaN percentiles (written as null in JSON, "-" in Markdown).
 */
public record LatencySummary(
    long count,
    double p50Ms,
    double p90Ms,
    double p99Ms,
    double p999Ms,
    double maxMs,
    double meanMs) {

  /** Histogram for latencies in microseconds: 1 us .. 1 hour, 3 significant digits. */
  public static Histogram newHistogram() {
    return new Histogram(1, 3_600_000_000L, 3);
  }

  /** Clamp so that a wild value never throws out of the histogram. */
  public static long clampMicros(long micros) {
    return Math.max(1, Math.min(micros, 3_600_000_000L));
  }

  public static LatencySummary of(Histogram h) {
    if (h == null || h.getTotalCount() == 0) {
      return new LatencySummary(
          0, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
    }
    return new LatencySummary(
        h.getTotalCount(),
        ms(h.getValueAtPercentile(50)),
        ms(h.getValueAtPercentile(90)),
        ms(h.getValueAtPercentile(99)),
        ms(h.getValueAtPercentile(99.9)),
        ms(h.getMaxValue()),
        h.getMean() / 1000.0);
  }

  private static double ms(long micros) {
    return micros / 1000.0;
  }

  public Map<String, Object> toMap(String prefix) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put(prefix + "Count", count);
    m.put(prefix + "P50Ms", p50Ms);
    m.put(prefix + "P90Ms", p90Ms);
    m.put(prefix + "P99Ms", p99Ms);
    m.put(prefix + "P999Ms", p999Ms);
    m.put(prefix + "MaxMs", maxMs);
    m.put(prefix + "MeanMs", meanMs);
    return m;
  }
}
