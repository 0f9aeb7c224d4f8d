package dev.switchboard.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class SeqTrackerTest {

  @Test
  void inOrderStreamHasNoOutOfOrderArrivals() {
    SeqTracker t = new SeqTracker();
    for (long s = 0; s < 100; s++) {
      assertThat(t.onReceive(s)).isFalse();
    }
    assertThat(t.received()).isEqualTo(100);
    assertThat(t.outOfOrder()).isZero();
    assertThat(t.highest()).isEqualTo(99);
  }

  @Test
  void lateArrivalBehindAHigherSequenceCountsAsOutOfOrder() {
    SeqTracker t = new SeqTracker();
    t.onReceive(0);
    t.onReceive(2);
    boolean late = t.onReceive(1);
    t.onReceive(3);

    assertThat(late).isTrue();
    assertThat(t.outOfOrder()).isEqualTo(1);
    assertThat(t.received()).isEqualTo(4);
  }

  @Test
  void gapWithoutLateArrivalIsNotOutOfOrder() {
    SeqTracker t = new SeqTracker();
    t.onReceive(0);
    t.onReceive(5);

    assertThat(t.outOfOrder()).isZero();
    assertThat(t.highest()).isEqualTo(5);
  }

  @Test
  void duplicateCountsAsOutOfOrder() {
    SeqTracker t = new SeqTracker();
    t.onReceive(7);
    assertThat(t.onReceive(7)).isTrue();
  }

  @Test
  void lossIsSentMinusReceivedWithPercentage() {
    SeqTracker.Loss l = SeqTracker.Loss.of(1000, 990);

    assertThat(l.lost()).isEqualTo(10);
    assertThat(l.lostPct()).isCloseTo(1.0, within(1e-9));
  }

  @Test
  void lossIsZeroWhenNothingWasSent() {
    assertThat(SeqTracker.Loss.of(0, 0).lostPct()).isZero();
  }

  @Test
  void lossNeverGoesNegativeWhenMoreArriveThanCounted() {
    assertThat(SeqTracker.Loss.of(5, 6).lost()).isZero();
  }
}
