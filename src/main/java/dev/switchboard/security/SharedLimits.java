package dev.switchboard.security;

/**
 * The per-address and per-room message limits counted across every instance, beside the buckets
 * {@link RateLimits} keeps on this one. Answers at once, from what it last learnt: a message is
 * never held up waiting for the shared count (local delivery never waits on Redis).
 */
public interface SharedLimits {

  /** Without Redis: every instance counts alone, which for a single instance is exact. */
  SharedLimits NONE =
      new SharedLimits() {
        @Override
        public RateLimits.Refusal admit(RateLimits.Limit limit, String key, int perWindow) {
          return null;
        }

        @Override
        public boolean failingOpen() {
          return false;
        }

        @Override
        public void sweep() {}
      };

  /**
   * One message counted against the shared window of {@code limit} for {@code key} (a client
   * address or a room id), {@code perWindow} messages per ten seconds: null if admitted, or a
   * refusal labelled {@code limit}.
   */
  RateLimits.Refusal admit(RateLimits.Limit limit, String key, int perWindow);

  /** True while the shared count cannot be reached, so only this instance's buckets apply. */
  boolean failingOpen();

  /** Forgets keys that have been quiet for a whole window. */
  void sweep();
}
