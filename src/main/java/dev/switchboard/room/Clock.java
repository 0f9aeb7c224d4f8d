package dev.switchboard.room;

import java.time.Instant;

/** Wall-clock time in microseconds, which instances compare with each other. */
public final class Clock {

  private Clock() {}

  public static long epochMicros() {
    Instant now = Instant.now();
    return now.getEpochSecond() * 1_000_000 + now.getNano() / 1_000;
  }
}
