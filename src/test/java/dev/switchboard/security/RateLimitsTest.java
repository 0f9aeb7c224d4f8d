package dev.switchboard.security;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchboard.config.SignalingConfig;
import dev.switchboard.room.RoomId;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.TimeMeter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class RateLimitsTest {

  private static final RoomId ROOM = new RoomId("r1");

  /** A clock that moves only when the test says so. */
  private final AtomicLong now = new AtomicLong();

  private final TimeMeter clock =
      new TimeMeter() {
        @Override
        public long currentTimeNanos() {
          return now.get();
        }

        @Override
        public boolean isWallClockBased() {
          return false;
        }
      };

  private RateLimits limits(Map<String, String> env) {
    return new RateLimits(SignalingConfig.from(env::get), SharedLimits.NONE, clock);
  }

  @Test
  void refusesTheConnectionPastTheLimitPerAddressWithARetryHint() {
    RateLimits limits = limits(Map.of("RATE_LIMIT_CONN_PER_10S", "3"));
    for (int i = 0; i < 3; i++) {
      assertThat(limits.admitConnection("192.0.2.1")).isNull();
    }
    RateLimits.Refusal refused = limits.admitConnection("192.0.2.1");
    assertThat(refused.limit()).isEqualTo(RateLimits.Limit.CONNECTIONS);
    // Refilling continuously, one connection comes back after a third of the window.
    assertThat(refused.retryAfterMs()).isEqualTo(3_334L);
    assertThat(limits.admitConnection("192.0.2.2")).as("another address").isNull();
  }

  @Test
  void aLimitOfZeroIsOff() {
    RateLimits limits =
        limits(
            Map.of(
                "RATE_LIMIT_CONN_PER_10S", "0",
                "RATE_LIMIT_MESSAGES_PER_10S", "0",
                "RATE_LIMIT_IP_MSGS_PER_10S", "0",
                "RATE_LIMIT_ROOM_MSGS_PER_10S", "0"));
    Bucket own = limits.connectionBucket();
    for (int i = 0; i < 10_000; i++) {
      assertThat(limits.admitConnection("192.0.2.1")).isNull();
      assertThat(limits.admitMessage(own, "192.0.2.1", ROOM)).isNull();
    }
    assertThat(limits.trackedKeys()).as("nothing counted").isZero();
  }

  @Test
  void theSharedCountIsAskedOnlyAfterThisInstancesBucketAdmits() {
    List<String> asked = new ArrayList<>();
    SharedLimits roomFull =
        new SharedLimits() {
          @Override
          public RateLimits.Refusal admit(RateLimits.Limit limit, String key, int perWindow) {
            asked.add(limit.label() + ":" + key + "/" + perWindow);
            return limit == RateLimits.Limit.ROOM_MESSAGES
                ? new RateLimits.Refusal(limit, 7)
                : null;
          }

          @Override
          public boolean failingOpen() {
            return false;
          }

          @Override
          public void sweep() {}
        };
    RateLimits limits =
        new RateLimits(
            SignalingConfig.from(
                Map.of("RATE_LIMIT_IP_MSGS_PER_10S", "1", "RATE_LIMIT_ROOM_MSGS_PER_10S", "50")
                    ::get),
            roomFull,
            clock);
    Bucket own = limits.connectionBucket();
    assertThat(limits.admitMessage(own, "192.0.2.1", ROOM))
        .isEqualTo(new RateLimits.Refusal(RateLimits.Limit.ROOM_MESSAGES, 7));
    assertThat(asked).containsExactly("ip_messages:192.0.2.1/1", "room_messages:r1/50");
    asked.clear();
    assertThat(limits.admitMessage(own, "192.0.2.1", ROOM).limit())
        .as("refused by this instance's own address bucket: the shared count is not asked")
        .isEqualTo(RateLimits.Limit.IP_MESSAGES);
    assertThat(asked).isEmpty();
  }

  @Test
  void eachMessageLimitRefusesInTurn() {
    RateLimits limits =
        limits(
            Map.of(
                "RATE_LIMIT_MESSAGES_PER_10S", "5",
                "RATE_LIMIT_IP_MSGS_PER_10S", "8",
                "RATE_LIMIT_ROOM_MSGS_PER_10S", "10"));
    Bucket one = limits.connectionBucket();
    Bucket two = limits.connectionBucket();
    Bucket three = limits.connectionBucket();
    int admitted = 0;
    for (int i = 0; i < 5; i++) {
      admitted += limits.admitMessage(one, "192.0.2.1", ROOM) == null ? 1 : 0;
    }
    assertThat(admitted).isEqualTo(5);
    assertThat(limits.admitMessage(one, "192.0.2.1", ROOM).limit())
        .isEqualTo(RateLimits.Limit.MESSAGES);
    for (int i = 0; i < 3; i++) {
      assertThat(limits.admitMessage(two, "192.0.2.1", ROOM)).isNull();
    }
    assertThat(limits.admitMessage(two, "192.0.2.1", ROOM).limit())
        .as("the address has used its 8")
        .isEqualTo(RateLimits.Limit.IP_MESSAGES);
    // A second address in the same room: the room has 2 of its 10 left.
    assertThat(limits.admitMessage(three, "192.0.2.9", ROOM)).isNull();
    assertThat(limits.admitMessage(three, "192.0.2.9", ROOM)).isNull();
    assertThat(limits.admitMessage(three, "192.0.2.9", ROOM).limit())
        .isEqualTo(RateLimits.Limit.ROOM_MESSAGES);
  }

  @Test
  void sweepDropsOnlyBucketsThatAreFullAgain() {
    RateLimits limits = limits(Map.of());
    limits.admitConnection("192.0.2.1");
    limits.admitMessage(limits.connectionBucket(), "192.0.2.1", ROOM);
    assertThat(limits.trackedKeys()).isEqualTo(3);

    limits.sweep();
    assertThat(limits.trackedKeys()).as("just used: not full yet").isEqualTo(3);

    now.addAndGet(Duration.ofSeconds(10).toNanos());
    limits.sweep();
    assertThat(limits.trackedKeys()).as("quiet for a window: full again").isZero();
  }
}
