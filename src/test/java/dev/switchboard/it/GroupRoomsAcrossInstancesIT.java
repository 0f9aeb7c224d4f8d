package dev.switchboard.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.java_websocket.exceptions.WebsocketNotConnectedException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Rooms of more than two ({@code ROOM_CAPACITY=4}) spread over three instances sharing one real
 * Redis, two members of a room on one instance: what {@link ScaleOutIT} shows for pairs holds for
 * every member. A frame reaches each other instance holding members once, and there every member.
 */
class GroupRoomsAcrossInstancesIT {

  private static final int CAPACITY = 4;
  private static final int PER_SENDER = 500;
  private static final Pattern FROM = Pattern.compile("\"from\":(\\d+)");
  private static final Pattern SEQ = Pattern.compile("\"seq\":(\\d+)");
  private static final String LEFT = "{\"type\":\"peer-disconnected\"}";

  private static RedisServer redis;
  private static ServerProcess a;
  private static ServerProcess b;
  private static ServerProcess c;

  @BeforeAll
  static void start() {
    redis = RedisServer.start("group-rooms");
    List<ServerProcess> started =
        ServerProcess.startInstances(
            "group-rooms",
            Map.of("REDIS_URL", redis.url(), "ROOM_CAPACITY", String.valueOf(CAPACITY)),
            "a",
            "b",
            "c");
    a = started.get(0);
    b = started.get(1);
    c = started.get(2);
  }

  @AfterAll
  static void stop() {
    ServerProcess.stopAll(a, b, c);
    if (redis != null) {
      redis.close();
    }
  }

  /** One member per instance given, in that order; every member known to hear every other. */
  private static List<TestClient> join(String room, ServerProcess... placement) {
    List<TestClient> members = new ArrayList<>();
    for (ServerProcess server : placement) {
      members.add(TestClient.open(server.room(room)));
    }
    for (TestClient to : members) {
      for (TestClient from : members) {
        if (to != from) {
          Pair.awaitSync(to, from);
        }
      }
    }
    return members;
  }

  /**
   * Four senders at once, each flooding {@value #PER_SENDER} numbered messages: every other member
   * gets each sender's messages exactly once and in the order sent, and never its own. Members 0
   * and 3 share instance a, so a frame from b or c must reach both of them there.
   */
  @Test
  void everyMemberHearsEachOtherMemberInOrderWhicheverInstanceItIsOn() {
    List<TestClient> members = join(SignalingIT.room(), a, b, c, a);
    List<CompletableFuture<Void>> sending = new ArrayList<>();
    for (int sender = 0; sender < CAPACITY; sender++) {
      TestClient client = members.get(sender);
      int from = sender;
      sending.add(
          CompletableFuture.runAsync(
              () -> {
                for (int seq = 0; seq < PER_SENDER; seq++) {
                  client.send(
                      "{\"type\":\"control\",\"action\":\"seq\",\"payload\":{\"from\":"
                          + from
                          + ",\"seq\":"
                          + seq
                          + "}}");
                }
              }));
    }
    sending.forEach(CompletableFuture::join);
    for (int receiver = 0; receiver < CAPACITY; receiver++) {
      int[] expected = new int[CAPACITY];
      int wrong = 0;
      TestClient client = members.get(receiver);
      for (int i = 0; i < (CAPACITY - 1) * PER_SENDER; i++) {
        String message = client.next();
        int from = group(FROM, message);
        assertThat(from)
            .as("member %d got its own message %s", receiver, message)
            .isNotEqualTo(receiver);
        if (group(SEQ, message) != expected[from]++) {
          wrong++;
        }
      }
      assertThat(wrong).as("member %d: messages out of order or repeated", receiver).isZero();
      for (int from = 0; from < CAPACITY; from++) {
        assertThat(expected[from])
            .as("member %d heard from member %d", receiver, from)
            .isEqualTo(from == receiver ? 0 : PER_SENDER);
      }
    }
    System.out.printf(
        "[it] group room on 3 instances: %d members x %d messages, each heard by the other %d in"
            + " order%n",
        CAPACITY, PER_SENDER, CAPACITY - 1);
  }

  /**
   * The room is full whichever instance a fifth member tries; once a member on another instance
   * leaves, every other member hears of it and its seat can be taken on a third instance.
   */
  @Test
  void capacityHoldsAcrossInstancesAndALeaveReachesEveryOtherMember() {
    String room = SignalingIT.room();
    List<TestClient> members = join(room, a, b, c, a);
    for (ServerProcess server : List.of(a, b, c)) {
      TestClient fifth = TestClient.attempt(server.room(room), Map.of(), List.of());
      assertThat(fifth.awaitClose())
          .as("a fifth member on %s", server)
          .isEqualTo(new TestClient.Closed(1000, "Room is full", true));
    }
    String offer = "{\"type\":\"offer\",\"sdp\":\"group\"}";
    members.get(1).send(offer);
    for (int other : List.of(0, 2, 3)) {
      assertThat(members.get(other).next()).as("member %d", other).isEqualTo(offer);
    }

    members.get(2).close(); // on c
    List<TestClient> rest = List.of(members.get(0), members.get(1), members.get(3));
    for (TestClient member : rest) {
      assertThat(member.next()).isEqualTo(LEFT);
    }
    // c frees the seat in Redis on its own pool, which may finish just after the others heard of
    // the leave: a join that comes first is refused as full, and tried again.
    TestClient newcomer =
        await("the seat freed on c taken on b")
            .atMost(Duration.ofSeconds(10))
            .pollInterval(Duration.ofMillis(100))
            .until(() -> tryJoin(b, room, rest.get(0)), Objects::nonNull);
    for (TestClient member : rest) {
      Pair.awaitSync(member, newcomer);
      Pair.awaitSync(newcomer, member);
    }
    newcomer.send(offer);
    for (TestClient member : rest) {
      assertThat(member.next()).isEqualTo(offer);
    }
  }

  /** A new member on {@code server}, once {@code member} hears it; null if refused as full. */
  private static TestClient tryJoin(ServerProcess server, String room, TestClient member) {
    TestClient client = TestClient.open(server.room(room));
    String token = UUID.randomUUID().toString();
    await("joined or refused")
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(20))
        .until(
            () -> {
              try {
                client.send(TestClient.sync(token));
              } catch (WebsocketNotConnectedException closed) {
                return true;
              }
              return member.synced(token) || client.isClosedYet();
            });
    if (member.synced(token)) {
      return client;
    }
    assertThat(client.awaitClose()).isEqualTo(new TestClient.Closed(1000, "Room is full", true));
    return null;
  }

  private static int group(Pattern pattern, String message) {
    Matcher m = pattern.matcher(message);
    assertThat(m.find()).as(message).isTrue();
    return Integer.parseInt(m.group(1));
  }
}
