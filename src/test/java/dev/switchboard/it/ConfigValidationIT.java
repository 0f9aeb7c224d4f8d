package dev.switchboard.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Invalid settings stop the uber-jar before Payara boots, with one line naming the variable. */
class ConfigValidationIT {

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "ROOM_CAPACITY|abc",
        "ROOM_CAPACITY|0",
        "MESSAGE_MAX_BYTES|-5",
        "BACKPRESSURE_CLOSE_THRESHOLD_BYTES|lots",
        "HEARTBEAT_INTERVAL_MS|1e3",
        "PORT|70000",
        "WS_PORT|http",
        "REQUIRE_WSS|maybe",
        "REDIS_URL|http://cache:6379",
        "REDIS_URL|not a url",
        "REDISSON_CONFIG|/nonexistent/redisson.yaml",
        "INSTANCE_TTL_MS|500",
        "ALLOWED_ORIGINS|example.com",
        "SUBPROTOCOL|two words",
        "JWT_ALG|none",
        "ENABLE_AUTH|yes please",
        "LOG_LEVEL|loud"
      })
  void refusesToStartOnAnInvalidValue(String variable, String value)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(ServerProcess.javaCommand());
    command.add(ServerProcess.jar().toString());
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().remove("REDIS_URL");
    builder.environment().put(variable, value);
    Process process = builder.start();
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("exits on its own").isTrue();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

    assertThat(process.exitValue()).isEqualTo(2);
    assertThat(output.lines().toList())
        .singleElement()
        .asString()
        .startsWith("switchboard: invalid configuration: " + variable + " ");
  }
}
