package dev.switchboard.bench;

/**
 * Per-receiver sequence accounting for one sender's stream. A message whose sequence number is
 * lower than the highest already seen arrived out of order (or is a duplicate). Not thread-safe:
 * each receiver uses it from its own event loop only.
 */
public final class SeqTracker {
  private long highest = -1;
  private long received;
  private long outOfOrder;

  /** Records one arrival; returns true when it arrived out of order. */
  public boolean onReceive(long seq) {
    received++;
    if (seq > highest) {
      highest = seq;
      return false;
    }
    outOfOrder++;
    return true;
  }

  public long highest() {
    return highest;
  }

  public long received() {
    return received;
  }

  public long outOfOrder() {
    return outOfOrder;
  }

  /** Loss as sent minus received (never negative), and its share of sent. */
  public record Loss(long sent, long received, long lost, double lostPct) {
    public static Loss of(long sent, long received) {
      long lost = Math.max(0, sent - received);
      return new Loss(sent, received, lost, sent == 0 ? 0.0 : 100.0 * lost / sent);
    }
  }
}
