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

  @Test
  void gcTotalsAreSummedOverCollectorsInMicroProfileSpelling() {
    String text =
        String.join(
            "\n",
            "# TYPE gc_time_seconds_total counter",
            "gc_time_seconds_total{mp_scope=\"base\",name=\"G1 Young Generation\"} 0.309",
            "gc_time_seconds_total{mp_scope=\"base\",name=\"G1 Old Generation\"} 0.1",
            "gc_total{mp_scope=\"base\",name=\"G1 Young Generation\"} 19.0",
            "gc_total{mp_scope=\"base\",name=\"G1 Old Generation\"} 1.0",
            "");

    PrometheusText.GcTotals gc = PrometheusText.gcTotals(text).orElseThrow();

    assertThat(gc.collections()).isEqualTo(20.0);
    assertThat(gc.seconds()).isCloseTo(0.409, org.assertj.core.data.Offset.offset(1e-9));
  }

  @Test
  void gcTotalsAreReadInThePrometheusClientSpellingToo() {
    String text =
        String.join(
            "\n",
            "jvm_gc_collection_seconds_count{gc=\"G1 Old Generation\"} 0",
            "jvm_gc_collection_seconds_sum{gc=\"G1 Old Generation\"} 0.0",
            "jvm_gc_collection_seconds_count{gc=\"G1 Young Generation\"} 7",
            "jvm_gc_collection_seconds_sum{gc=\"G1 Young Generation\"} 0.25",
            "");

    assertThat(PrometheusText.gcTotals(text)).contains(new PrometheusText.GcTotals(7, 0.25));
  }

  @Test
  void gcTotalsAreEmptyWithoutBothMetricsAndIgnoreLongerNames() {
    assertThat(PrometheusText.gcTotals("gc_total{name=\"x\"} 3\n")).isEmpty();
    assertThat(PrometheusText.sum("gc_total_extra 5\ngc_total{a=\"b\"} 2\n", "gc_total"))
        .hasValue(2.0);
    assertThat(PrometheusText.sum("gc_total{a=\"b\"} NaNish\n", "gc_total")).isEmpty();
  }

  @Test
  void gcTotalsSubtractIntoWhatHappenedInAWindow() {
    PrometheusText.GcTotals before = new PrometheusText.GcTotals(10, 0.2);
    PrometheusText.GcTotals after = new PrometheusText.GcTotals(14, 0.28);

    PrometheusText.GcTotals window = after.minus(before);

    assertThat(window.collections()).isEqualTo(4.0);
    assertThat(window.seconds()).isCloseTo(0.08, org.assertj.core.data.Offset.offset(1e-9));
  }

  @Test
  void gcTotalsAreReadInTheOlderMicroProfileSpelling() {
    String text =
        "base_gc_total{name=\"PS Scavenge\"} 4\nbase_gc_time_total_seconds{name=\"PS Scavenge\"} 0.04\n";

    assertThat(PrometheusText.gcTotals(text)).contains(new PrometheusText.GcTotals(4, 0.04));
  }

  @Test
  void gcTotalsOfAnUnreachableServerAreEmpty() {
    assertThat(PrometheusText.fetchGcTotals(java.net.URI.create("http://127.0.0.1:1/metrics")))
        .isEmpty();
  }

  @Test
  void aWindowWithARestartOrANaNHasNoGcFigures() {
    PrometheusText.GcTotals before = new PrometheusText.GcTotals(10, 0.2);

    assertThat(Main.gcBetween(before, new PrometheusText.GcTotals(3, 0.05))).isNull();
    assertThat(Main.gcBetween(before, new PrometheusText.GcTotals(Double.NaN, 0.3))).isNull();
    assertThat(Main.gcBetween(null, before)).isNull();
    assertThat(Main.gcBetween(before, new PrometheusText.GcTotals(12, 0.25)))
        .isEqualTo(new PrometheusText.GcTotals(2, 0.25 - 0.2));
  }
}
