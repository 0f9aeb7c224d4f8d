package dev.switchboard.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;

/** Finds a metric in Prometheus text exposition format. */
public final class PrometheusText {

  /** Used-heap metric names tried in order (MicroProfile Metrics 5 and older spellings). */
  public static final List<String> USED_HEAP_NAMES =
      List.of(
          "memory_usedHeap_bytes",
          "base_memory_usedHeap_bytes",
          "memory_used_heap_bytes",
          "jvm_memory_used_bytes{area=\"heap\"");

  private PrometheusText() {}

  /**
   * Value of the first sample whose line starts with {@code name} followed by a space or '{'
   * (labels are ignored). Comments are skipped. Empty when absent or unparsable.
   */
  public static OptionalDouble find(String text, String name) {
    for (String raw : text.split("\n")) {
      String line = raw.trim();
      if (line.isEmpty() || line.startsWith("#") || !line.startsWith(name)) {
        continue;
      }
      String rest = line.substring(name.length());
      if (!name.endsWith("\"") && !(rest.startsWith(" ") || rest.startsWith("{"))) {
        continue;
      }
      int valueStart;
      if (rest.startsWith("{") || name.contains("{")) {
        int close = line.indexOf('}');
        if (close < 0) {
          continue;
        }
        valueStart = close + 1;
      } else {
        valueStart = name.length();
      }
      String[] parts = line.substring(valueStart).trim().split("\\s+");
      try {
        return OptionalDouble.of(Double.parseDouble(parts[0]));
      } catch (NumberFormatException e) {
        return OptionalDouble.empty();
      }
    }
    return OptionalDouble.empty();
  }

  public static OptionalDouble usedHeapBytes(String text) {
    for (String name : USED_HEAP_NAMES) {
      OptionalDouble v = find(text, name);
      if (v.isPresent()) {
        return v;
      }
    }
    return OptionalDouble.empty();
  }

  /**
   * Sum of every sample whose line starts with {@code name} followed by a space or '{' (one per
   * label set, such as one per garbage collector). Empty when there is none or one is unparsable.
   */
  public static OptionalDouble sum(String text, String name) {
    double total = 0;
    boolean found = false;
    for (String raw : text.split("\n")) {
      String line = raw.trim();
      if (line.startsWith("#") || !line.startsWith(name)) {
        continue;
      }
      OptionalDouble v = find(line, name);
      if (v.isEmpty()) {
        if (line.length() > name.length()
            && (line.charAt(name.length()) == ' ' || line.charAt(name.length()) == '{')) {
          return OptionalDouble.empty(); // the metric, with a value that is not a number
        }
        continue; // a longer name with the same prefix
      }
      total += v.getAsDouble();
      found = true;
    }
    return found ? OptionalDouble.of(total) : OptionalDouble.empty();
  }

  /** Garbage collections since the server started, summed over its collectors. */
  public record GcTotals(double collections, double seconds) {

    /** What happened between {@code before} and this. */
    public GcTotals minus(GcTotals before) {
      return new GcTotals(collections - before.collections, seconds - before.seconds);
    }

    public GcTotals plus(GcTotals other) {
      return new GcTotals(collections + other.collections, seconds + other.seconds);
    }
  }

  /**
   * Collection counts and times (MicroProfile Metrics 5's {@code gc_total} and {@code
   * gc_time_seconds_total}, or the Prometheus Java client's {@code jvm_gc_collection_seconds});
   * empty when neither pair is there. On HotSpot's G1 and Parallel collectors the time is the
   * collections' pause time.
   */
  public static Optional<GcTotals> gcTotals(String text) {
    String[][] spellings = {
      {"gc_total", "gc_time_seconds_total"},
      {"base_gc_total", "base_gc_time_total_seconds"},
      {"jvm_gc_collection_seconds_count", "jvm_gc_collection_seconds_sum"}
    };
    for (String[] names : spellings) {
      OptionalDouble count = sum(text, names[0]);
      OptionalDouble seconds = sum(text, names[1]);
      if (count.isPresent() && seconds.isPresent()) {
        return Optional.of(new GcTotals(count.getAsDouble(), seconds.getAsDouble()));
      }
    }
    return Optional.empty();
  }

  /** Fetches the GC totals from {@code url}; empty on any error (reported as unavailable). */
  public static Optional<GcTotals> fetchGcTotals(URI url) {
    return fetch(url).flatMap(PrometheusText::gcTotals);
  }

  /** Fetches the used heap from {@code url}; empty on any error (reported as unavailable). */
  public static OptionalDouble fetchUsedHeapBytes(URI url) {
    Optional<String> text = fetch(url);
    return text.isEmpty() ? OptionalDouble.empty() : usedHeapBytes(text.get());
  }

  /** The body of a GET of {@code url}; empty on any error or a status other than 200. */
  private static Optional<String> fetch(URI url) {
    try {
      HttpClient c = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();
      HttpResponse<String> r =
          c.send(
              HttpRequest.newBuilder(url)
                  .timeout(Duration.ofSeconds(5))
                  .header("Accept", "text/plain")
                  .GET()
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200 ? Optional.of(r.body()) : Optional.empty();
    } catch (java.io.IOException e) {
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
  }
}
