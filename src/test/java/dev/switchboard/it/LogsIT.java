package dev.switchboard.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.stream.JsonParsingException;
import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The uber-jar's log lines: one JSON object per line with the instance id on every line (Payara's
 * own included), room and peer ids as fields where they apply, a human-readable form with {@code
 * PRETTY_LOGS=true}, and never an SDP.
 */
class LogsIT {

  private static final String SECRET_SDP = "v=0 o=- 4242 2 IN IP4 10.9.8.7 s=do-not-log";

  @Test
  void everyLineIsOneJsonObjectWithTheInstanceIdAndPeerEventsCarryRoomAndPeer()
      throws IOException, InterruptedException {
    ServerProcess server =
        ServerProcess.start("logs-json", Map.of("INSTANCE_ID", "logs-json", "LOG_LEVEL", "debug"));
    try {
      String room = SignalingIT.room();
      exchangeAnOfferAndLeave(server, room);

      await("the leave is logged")
          .atMost(Duration.ofSeconds(10))
          .until(
              () ->
                  jsonLines(server).stream()
                      .anyMatch(l -> l.getString("LogMessage").startsWith("Peer left")));
      List<JsonObject> lines = jsonLines(server);
      assertThat(lines).hasSizeGreaterThan(20);
      assertThat(lines)
          .allSatisfy(
              line -> {
                assertThat(line.getString("InstanceId")).isEqualTo("logs-json");
                assertThat(line.keySet())
                    .contains("Timestamp", "Level", "LoggerName", "LogMessage");
              });
      assertThat(lines)
          .filteredOn(l -> l.getString("LogMessage").startsWith("Peer joined"))
          .hasSize(2)
          .allSatisfy(
              line -> {
                assertThat(line.getString("room")).isEqualTo(room);
                assertThat(line.getString("peer")).isNotBlank();
                assertThat(line.getString("LoggerName"))
                    .isEqualTo("dev.switchboard.room.RoomRegistry");
              });
      assertThat(Files.readString(server.log())).doesNotContain("do-not-log");
    } finally {
      server.stop();
    }
  }

  @Test
  void prettyLogsAreTextLinesThatNameTheInstance() throws IOException, InterruptedException {
    ServerProcess server =
        ServerProcess.start(
            "logs-pretty",
            Map.of("INSTANCE_ID", "logs-pretty", "PRETTY_LOGS", "true", "LOG_LEVEL", "debug"));
    try {
      String room = SignalingIT.room();
      exchangeAnOfferAndLeave(server, room);

      await("the leave is logged")
          .atMost(Duration.ofSeconds(10))
          .until(() -> Files.readString(server.log()).contains("Peer left"));
      // An entry's first line is Payara's ODL header; a long message continues on further lines.
      List<String> entries =
          Files.readAllLines(server.log()).stream()
              .filter(l -> l.contains("] [levelValue: "))
              .toList();
      assertThat(entries).hasSizeGreaterThan(20).allMatch(l -> l.startsWith("[logs-pretty] ["));
      assertThat(entries).noneMatch(l -> l.startsWith("{"));
      assertThat(entries)
          .filteredOn(l -> l.contains("Peer joined"))
          .hasSize(2)
          .allMatch(l -> l.contains("room=" + room));
      assertThat(Files.readString(server.log())).doesNotContain("do-not-log");
    } finally {
      server.stop();
    }
  }

  private static void exchangeAnOfferAndLeave(ServerProcess server, String room)
      throws InterruptedException {
    Pair pair = Pair.join(server, room);
    String offer = "{\"type\":\"offer\",\"sdp\":\"" + SECRET_SDP + "\"}";
    pair.first().send(offer);
    assertThat(pair.second().next()).contains("do-not-log");
    pair.first().closeBlocking();
    pair.second().closeBlocking();
  }

  private static List<JsonObject> jsonLines(ServerProcess server) throws IOException {
    return Files.readAllLines(server.log()).stream()
        .filter(l -> !l.isBlank())
        .map(LogsIT::parse)
        .toList();
  }

  private static JsonObject parse(String line) {
    try (var reader = Json.createReader(new StringReader(line))) {
      return reader.readObject();
    } catch (JsonParsingException e) {
      throw new AssertionError("not one JSON object: " + line, e);
    }
  }
}
