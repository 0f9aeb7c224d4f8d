package dev.switchboard.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
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

  /** Fetches the used heap from {@code url}; empty on any error (reported as unavailable). */
  public static OptionalDouble fetchUsedHeapBytes(URI url) {
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
      if (r.statusCode() != 200) {
        return OptionalDouble.empty();
      }
      return usedHeapBytes(r.body());
    } catch (java.io.IOException e) {
      return OptionalDouble.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return OptionalDouble.empty();
    }
  }
}
