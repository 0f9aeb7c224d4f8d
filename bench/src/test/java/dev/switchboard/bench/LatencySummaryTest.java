package dev.switchboard.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

class LatencySummaryTest {

  @Test
  void uniformOneToTenThousandMicrosGivesExpectedPercentilesWithinHistogramPrecision() {
    Histogram h = LatencySummary.newHistogram();
    for (long v = 1; v <= 10_000; v++) {
      h.recordValue(v);
    }
    LatencySummary s = LatencySummary.of(h);

    assertThat(s.count()).isEqualTo(10_000);
    // 3 significant digits: values are exact to within 0.1%
    assertThat(s.p50Ms()).isCloseTo(5.0, within(0.005));
    assertThat(s.p90Ms()).isCloseTo(9.0, within(0.009));
    assertThat(s.p99Ms()).isCloseTo(9.9, within(0.01));
    assertThat(s.p999Ms()).isCloseTo(9.99, within(0.01));
    assertThat(s.maxMs()).isCloseTo(10.0, within(0.01));
    assertThat(s.meanMs()).isCloseTo(5.0005, within(0.005));
  }

  @Test
  void constantDistributionHasEveryPercentileAtThatValue() {
    Histogram h = LatencySummary.newHistogram();
    h.recordValueWithCount(1500, 1000);
    LatencySummary s = LatencySummary.of(h);

    assertThat(s.p50Ms()).isCloseTo(1.5, within(0.002));
    assertThat(s.p999Ms()).isCloseTo(1.5, within(0.002));
    assertThat(s.maxMs()).isCloseTo(1.5, within(0.002));
  }

  @Test
  void rareOutlierShowsInTheTailButNotTheMedian() {
    Histogram h = LatencySummary.newHistogram();
    h.recordValueWithCount(1000, 999);
    h.recordValue(200_000);
    LatencySummary s = LatencySummary.of(h);

    assertThat(s.p50Ms()).isCloseTo(1.0, within(0.002));
    assertThat(s.p99Ms()).isCloseTo(1.0, within(0.002));
    assertThat(s.maxMs()).isCloseTo(200.0, within(0.2));
  }

  @Test
  void emptyHistogramGivesNaNPercentilesAndZeroCount() {
    LatencySummary s = LatencySummary.of(LatencySummary.newHistogram());

    assertThat(s.count()).isZero();
    assertThat(s.p99Ms()).isNaN();
  }

  @Test
  void clampKeepsValuesInsideTheTrackableRange() {
    assertThat(LatencySummary.clampMicros(-5)).isEqualTo(1);
    assertThat(LatencySummary.clampMicros(Long.MAX_VALUE)).isEqualTo(3_600_000_000L);
    assertThat(LatencySummary.clampMicros(42)).isEqualTo(42);
  }
}
