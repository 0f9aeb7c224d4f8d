package dev.switchboard.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PrometheusTextTest {

  static final String PAYARA =
      String.join(
          "\n",
          "# TYPE memory_committedHeap_bytes gauge",
          "memory_committedHeap_bytes{mp_scope=\"base\"} 3.3554432E8",
          "# HELP memory_usedHeap_bytes Displays the amount of used heap memory in bytes.",
          "# TYPE memory_usedHeap_bytes gauge",
          "memory_usedHeap_bytes{mp_scope=\"base\"} 1.23456789E8",
          "memory_usedNonHeap_bytes{mp_scope=\"base\"} 9.9E7",
          "");

  @Test
  void findsUsedHeapWithLabels() {
    assertThat(PrometheusText.usedHeapBytes(PAYARA)).hasValue(1.23456789E8);
  }

  @Test
  void findsMetricWithoutLabels() {
    assertThat(PrometheusText.find("memory_usedHeap_bytes 42\n", "memory_usedHeap_bytes"))
        .hasValue(42.0);
  }

  @Test
  void doesNotMatchALongerMetricNameWithTheSamePrefix() {
    assertThat(PrometheusText.find("memory_usedHeap_bytes_total 5\n", "memory_usedHeap_bytes"))
        .isEmpty();
  }

  @Test
  void olderBasePrefixedNameIsAlsoFound() {
    assertThat(PrometheusText.usedHeapBytes("base_memory_usedHeap_bytes 7.0\n")).hasValue(7.0);
  }

  @Test
  void absentMetricIsEmptySoItCanBeReportedUnavailable() {
    assertThat(PrometheusText.usedHeapBytes("# nothing here\nother_metric 1\n")).isEmpty();
  }
}
